# hutch-profile 1
# system: boot a full OS with systemd-nspawn's defaults. See README.md.
[Exec]
Boot=yes
KillSignal=SIGRTMIN+3
NoNewPrivileges=no
PrivateUsers=pick
