"""The run folder's records on both sides of a run: where run folders live, the store (results.jsonl,
env.json, the lock), scaling efficiency, and earlier runs' wall times. Runner, reports and commands
read and write records only through this package."""
