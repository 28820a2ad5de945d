# syntax=docker/dockerfile:1
# A demo machine for docker/compose.yml: OpenSSH with one user, "fleet", who logs in with the demo machine key
# (the machine_key_pub secret) and nothing else. sshd itself runs as root, as it must; tasks run as "fleet".
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssh-server procps \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /run/sshd \
 && useradd --create-home --shell /bin/bash fleet
COPY docker/sshd-demo-entrypoint.sh /usr/local/bin/sshd-demo-entrypoint
EXPOSE 22
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD ["pgrep", "-x", "sshd"]
ENTRYPOINT ["/usr/local/bin/sshd-demo-entrypoint"]
