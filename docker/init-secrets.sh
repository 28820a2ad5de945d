#!/bin/sh
# Makes the secret files docker/compose.yml mounts, once (an existing file is kept): a random Redis password (as a
# redis.conf line and as the REDIS_URL the rediacc containers read), the demo machine's SSH key pair and the demo
# sshd's host key with its fingerprint. They live in docker/secrets/ (mode 0700, git-ignored); the files are 0644
# so the containers' users can read them through their secret mounts.
set -eu
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
mkdir -p "$dir/home"
chmod 0700 "$dir"
cd "$dir"
if [ ! -f redis-auth.conf ] || [ ! -f redis-url ]; then
  password="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
  printf 'requirepass %s\n' "$password" > redis-auth.conf
  printf 'redis://:%s@redis:6379\n' "$password" > redis-url
fi
[ -f machine_key ] || ssh-keygen -q -t ed25519 -N '' -C rediacc-demo -f machine_key
[ -f ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -C sshd-demo -f ssh_host_ed25519_key
ssh-keygen -lf ssh_host_ed25519_key.pub | awk '{print $2}' > sshd_host_fingerprint
chmod 0644 redis-auth.conf redis-url machine_key machine_key.pub ssh_host_ed25519_key
echo "secrets in $dir"
