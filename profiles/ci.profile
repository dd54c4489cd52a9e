# hutch-profile 1
# ci: CI jobs. The build profile, plus what makes jobs disposable. See README.md.
@include build

[Exec]
# Every job starts from the same image: writes go to a throw-away snapshot
# (btrfs) or overlay (elsewhere), gone when the job ends.
Ephemeral=yes
# A job that hangs is stopped with SIGKILL, not asked.
KillSignal=SIGKILL
# No core dumps filling the runner's disk.
LimitCORE=0

[Options]
# Resource ceilings (systemd's names; the command line's --property= wins).
property=MemoryMax=4G
property=TasksMax=4096
property=CPUQuota=200%
