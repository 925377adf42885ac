"""What leaves a machine in a shared result: nothing personal.

Two layers, both applied. By field: env.json keeps only the keys of ENV_ALLOWED (the hardware and
software that explain a speed), records only the fields of bench.config.record.FIELDS, less the ones
that name a machine on a network (DROPPED_FIELDS); nested keys that look like identifiers are dropped.
By pattern, over every string that is kept (keys included): host and user names known here, absolute
paths (the file name kept when it is a data or code file), e-mail and IP addresses, MAC addresses, UUIDs
(GPU and MIG ids among them), 32-hex machine ids and serial numbers become placeholders.
"""

from __future__ import annotations

import contextlib
import getpass
import ipaddress
import json
import re
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.config.record import FIELDS

# env.json keys a shared result keeps: True keeps the value (strings pattern-scrubbed), a dict recurses
# with its own allowlist, a one-item list applies its item to every element.
ENV_ALLOWED: dict[str, Any] = {
    "os": True, "python": True, "cpu_model": True,
    "cpu": {k: True for k in ("brand_raw", "vendor_id_raw", "arch", "bits", "count", "family", "model",
                              "stepping", "hz_advertised_friendly", "hz_actual_friendly", "l2_cache_size",
                              "l3_cache_size", "flags")},
    "cpu_freq_mhz": {"current": True, "min": True, "max": True},
    "logical_cores": True, "physical_cores": True, "ram_gb": True, "packages": True,
    "env": "tuning",
    "nvml_gpus": [{"index": True, "name": True, "driver": True, "memory_total_mb": True}],
    "nvml_driver": True, "nvml_unavailable": True,
    "tf_version": True, "keras_version": True, "tf_build_info": True, "cuda_build": True, "cudnn_build": True,
    "onednn": {"TF_ENABLE_ONEDNN_OPTS": "tuning-value", "enabled": True},
    "tf_gpus": [{"device": True, "name": True, "compute_capability": True}],
    "tf_unavailable": True, "backend_gpus": True, "backend_gpus_unavailable": True, "gpu_count": True,
    "gpu_note": True, "peak_gflop_s": True, "peak_source": True, "peak_gflop_s_end": True, "drifting": True,
    "peak_end_unavailable": True,
}
# Environment variables that change a speed, kept with their value when it is a plain number or flag;
# every other variable is dropped and a value of another shape is replaced.
TUNING_VARIABLES = ("TF_ENABLE_ONEDNN_OPTS", "OMP_NUM_THREADS", "TF_CPP_MIN_LOG_LEVEL",
                    "CUDA_VISIBLE_DEVICES")
_PLAIN_SETTING = re.compile(r"[0-9, ]{0,16}|true|false|True|False")
REMOVED = "<removed>"
MAX_TOKEN = 1000  # a longer run of letters, digits, colons and dots with two colons is removed whole
# Record fields that name a machine on a network: dropped (`machine` is renamed, see scrub_records).
DROPPED_FIELDS = ("ray_node", "machine_env_id")
# Nested keys that name an identifier rather than a measurement: dropped wherever they occur.
_ID_KEY = re.compile(r"(?i)(serial|uuid|guid|mac_?addr|machine_?id|node_?id|hostname|host|user|login|"
                     r"address|\bip\b|_ip\b|pci|bus_?id|email|home)")
# Host names too generic to point at anyone (and too common as words to replace everywhere).
GENERIC_NAMES = frozenset({"root", "user", "admin", "administrator", "vm", "localhost", "ubuntu", "runner",
                           "home", "users", "default", "debian", "docker", "container", "none", "null"})
# File types whose name is kept when a path is removed (a user name is never one of these).
KEPT_SUFFIXES = frozenset({"h5", "hdf5", "toml", "json", "jsonl", "py", "log", "npz", "npy", "gz", "txt",
                           "csv", "so", "tar", "zip", "pkl", "keras", "png", "svg", "html", "md", "bin"})

KERNEL_PATHS = re.compile(r"/(sys|proc)(/|$)")
_PATH_CHARS = r"[^\s'\"<>|;,()\[\]{}]"


def _path_placeholder(match: re.Match[str]) -> str:
    """'<path>/name.ext' for a data or code file, else '<path>'; sentence punctuation kept outside. The
    kernel's own interfaces (/sys, /proc) are nobody's and stay as they are."""
    text = match.group(0)
    if KERNEL_PATHS.match(text):
        return text
    trail = len(text) - len(text.rstrip(".:"))
    core, tail = (text[:-trail], text[-trail:]) if trail else (text, "")
    name = re.split(r"[\\/]", core.rstrip("\\/"))[-1]
    stem, dot, suffix = name.rpartition(".")
    keep = dot and stem and suffix.lower() in KEPT_SUFFIXES and re.fullmatch(r"[\w.+-]+", name)
    return f"<path>/{name}{tail}" if keep else f"<path>{tail}"


def _ipv6_placeholder(match: re.Match[str]) -> str:
    """A token of word characters, colons, dots and % with its IPv6 addresses (the longest that parse,
    zone id included, not glued to a letter or digit) replaced by '<ip>'; times, ratios and C++ names
    (std::vector), which never qualify, unchanged."""
    token, out, i = match.group(0), [], 0
    if len(token) > MAX_TOKEN:  # nothing readable is this long: not worth a quadratic search
        return REMOVED
    while i < len(token):
        end = None
        if i == 0 or not token[i - 1].isalnum():
            end = next((j for j in range(min(len(token), i + 60), i + 1, -1)
                        if (j == len(token) or not (token[j].isalnum() or token[j] == "_"))
                        and _is_ipv6(token[i:j])), None)
        if end is None:
            out.append(token[i])
            i += 1
        else:
            out.append("<ip>")
            i = end
    return "".join(out)


def _is_ipv6(text: str) -> bool:
    """True when text is one IPv6 address (with a %zone or not)."""
    if text.count(":") < 2:
        return False
    try:
        ipaddress.IPv6Address(text.split("%")[0])
    except ValueError:
        return False
    return True


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_HEX2 = "[0-9A-Fa-f]{2}"
_MAC = rf"(?<![\w:-]){_HEX2}(?:([:-]){_HEX2})(?:\1{_HEX2}){{4}}(?![\w:-])"
_IPV6_CANDIDATE = r"(?<![\w:.%])[\w:.%]*:[\w:.%]*:[\w:.%]*"
_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # absolute paths: Windows drive and UNC, home-relative (~), POSIX (a / not inside a word or URL)
    (re.compile(rf"(?<![\w])[A-Za-z]:[\\/]{_PATH_CHARS}*"), _path_placeholder),
    (re.compile(rf"\\\\{_PATH_CHARS}+"), _path_placeholder),
    (re.compile(rf"(?<![\w.~/\\>-])~(?:[A-Za-z][\w.-]*)?[\\/]{_PATH_CHARS}*"), _path_placeholder),
    (re.compile(rf"(?<![\w.~/\\>-])/[^\s/'\"<>|;,()\[\]{{}}]{_PATH_CHARS}*"), _path_placeholder),
    (re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b"), "<email>"),
    (re.compile(r"(?:GPU-|MIG-)?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"),
     "<id>"),
    (re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32}(?![0-9A-Fa-f])"), "<id>"),
    (re.compile(r"(?i)\bserial(?:[ _]?(?:number|no\.?|#))?\s*[:=]\s*\S+"), "serial: <removed>"),
    (re.compile(_MAC), "<mac>"),
    (re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.\d)"), "<ip>"),
    (re.compile(_IPV6_CANDIDATE), _ipv6_placeholder),
)


class Scrubber:
    """Replaces what is personal in strings and structures: the patterns above, and the literal host and
    user names given (with this machine's own)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        found = {n.strip() for n in (*names, *local_names()) if isinstance(n, str)}
        literal = sorted((n for n in found if len(n) >= 2 and n.lower() not in GENERIC_NAMES), key=len,
                         reverse=True)
        self._names = (re.compile("(?i)(?<![A-Za-z0-9])(?:" + "|".join(map(re.escape, literal))
                                  + ")(?![A-Za-z0-9])") if literal else None)

    def text(self, value: str) -> str:
        """value with every personal item replaced by a placeholder."""
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value if self._names is None else self._names.sub("<name>", value)

    def any(self, value: Any) -> Any:
        """Every string in a JSON-like structure scrubbed (keys too); keys that name identifiers dropped."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(str(k)): self.any(v) for k, v in value.items() if not _ID_KEY.search(str(k))}
        if isinstance(value, list | tuple):
            return [self.any(v) for v in value]
        return value

    def env(self, env: dict[str, Any]) -> dict[str, Any]:
        """env.json cut to ENV_ALLOWED, its strings scrubbed."""
        return self._allowed(env, ENV_ALLOWED)

    def _allowed(self, value: Any, spec: Any) -> Any:
        if spec == "tuning":
            return _tuning(value)
        if spec == "tuning-value":
            return _tuning_value(value)
        if isinstance(spec, dict):
            if not isinstance(value, dict):
                return None
            return {k: self._allowed(value[k], spec[k]) for k in spec if k in value}
        if isinstance(spec, list):
            return [self._allowed(v, spec[0]) for v in value] if isinstance(value, list) else None
        return self.any(value)

    def records(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Records cut to FIELDS (less DROPPED_FIELDS), their strings scrubbed; a cluster's machine names
        become machine-1, machine-2, ... in order of appearance."""
        aliases: dict[str, str] = {}
        out = []
        for record in records:
            kept = {k: v for k, v in record.items() if k in FIELDS and k not in DROPPED_FIELDS}
            machine = kept.get("machine")
            if isinstance(machine, str) and machine:
                kept["machine"] = aliases.setdefault(machine, f"machine-{len(aliases) + 1}")
            out.append(self.any(kept))
        return out

    def toml(self, text: str) -> str:
        """matrix.toml's text: each `key = "string"` value scrubbed as a whole, then every line."""
        lines = []
        for line in text.splitlines():
            key, eq, value = line.partition(" = ")
            if eq and value.startswith('"') and value.endswith('"'):
                with contextlib.suppress(ValueError):
                    line = f"{key}{eq}{json.dumps(self.text(json.loads(value)))}"
            lines.append(self.text(line))
        return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def _tuning(variables: Any) -> dict[str, str]:
    """The TUNING_VARIABLES that were set, with plain values; every other variable dropped."""
    if not isinstance(variables, dict):
        return {}
    return {k: _tuning_value(variables[k]) for k in TUNING_VARIABLES if k in variables}


def _tuning_value(value: Any) -> Any:
    """A tuning variable's value when it is a plain number, list of numbers or flag, else REMOVED."""
    if value is None or (isinstance(value, str) and _PLAIN_SETTING.fullmatch(value)):
        return value
    return REMOVED


def local_names() -> list[str]:
    """This machine's host name (short and full) and user name, and the home folder's name."""
    names = [socket.gethostname(), socket.gethostname().split(".")[0], Path.home().name]
    with contextlib.suppress(KeyError, OSError):  # no user name (a container without a passwd entry)
        names.append(getpass.getuser())
    return names


def env_names(env: dict[str, Any]) -> list[str]:
    """The host names an env.json gives (its own, a cluster's machines)."""
    names = [env.get("hostname")]
    machines = env.get("cluster_machines")
    if isinstance(machines, dict):
        names += list(machines)
    return [n for n in names if isinstance(n, str)]


def personal(value: Any, scrubber: Scrubber | None = None) -> list[str]:
    """The strings of a structure that the scrub would still change (empty: nothing personal found)."""
    scrubber = scrubber or Scrubber()
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if scrubber.text(item) != item:
                found.append(item)
        elif isinstance(item, dict):
            found += [str(k) for k in item if _ID_KEY.search(str(k))]
            stack += [str(k) for k in item] + list(item.values())
        elif isinstance(item, list | tuple):
            stack += list(item)
    return found
