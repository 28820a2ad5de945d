#!/bin/sh
# Installs the demo host key and the fleet user's authorized key from their secrets (sshd wants them owned and
# not readable by others), then runs sshd in the foreground: key logins only, no passwords, no root.
set -eu
install -m 0600 /run/secrets/sshd_host_key /etc/ssh/ssh_host_ed25519_key
install -d -m 0700 -o fleet -g fleet /home/fleet/.ssh
install -m 0600 -o fleet -g fleet /run/secrets/machine_key_pub /home/fleet/.ssh/authorized_keys
exec /usr/sbin/sshd -D -e \
  -o HostKey=/etc/ssh/ssh_host_ed25519_key \
  -o PasswordAuthentication=no \
  -o KbdInteractiveAuthentication=no \
  -o PermitRootLogin=no \
  -o AllowUsers=fleet
