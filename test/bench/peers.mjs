// The tools ops teams use today, set up against the bench machines: an OpenSSH client config (key, port, pinned
// known_hosts, and a ControlMaster variant), parallel-ssh host files and an Ansible inventory. Debian's `ansible`
// and `pssh` (binary: parallel-ssh) are installed by .ci/run, never here; a peer that is not installed is skipped,
// and the run says so: "skipped: ansible is not installed".
import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scratchDir } from './fleet.mjs';
import { nowMs } from './stats.mjs';

const run = promisify(execFile);

/**
 * The peers outside the system setup, each with the program looked up and the Debian package that installs it.
 * .ci/run installs every package listed here (a test checks); npm test and the bench never install anything.
 */
export const PEER_PACKAGES = {
  ansible: { program: 'ansible', apt: 'ansible' },
  pssh: { program: 'parallel-ssh', apt: 'pssh' },
};

async function has(program) {
  try {
    await run('sh', ['-c', `command -v ${program}`]);
    return true;
  } catch {
    return false;
  }
}

export async function preparePeers(fleet, { log }) {
  const dir = await scratchDir(fleet, 'peers');
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, fleet.machines.map((m) => `[${m.host}]:${m.port} ${m.hostPublicKey}\n`).join(''));
  const common = [
    `  User ${fleet.machines[0].user}`,
    `  IdentityFile ${fleet.key.privateKeyPath}`,
    '  IdentitiesOnly yes',
    '  StrictHostKeyChecking yes',
    `  UserKnownHostsFile ${knownHosts}`,
    '  BatchMode yes',
    '  LogLevel ERROR',
  ];
  const hostBlocks = fleet.machines.map((m) => `Host ${m.name}\n  HostName ${m.host}\n  Port ${m.port}\n`).join('');
  const sshConfig = join(dir, 'ssh_config');
  await writeFile(sshConfig, `${hostBlocks}Host *\n${common.join('\n')}\n  ControlMaster no\n  ControlPath none\n`);
  const cmConfig = join(dir, 'ssh_config_cm');
  await writeFile(
    cmConfig,
    `${hostBlocks}Host *\n${common.join('\n')}\n  ControlMaster auto\n  ControlPath ${dir}/cm-%C\n  ControlPersist 600\n`,
  );
  const ansibleCfg = join(dir, 'ansible.cfg');
  await writeFile(
    ansibleCfg,
    '[defaults]\nhost_key_checking = True\nretry_files_enabled = False\ninterpreter_python = /usr/bin/python3\n',
  );
  const peers = {
    dir,
    sshConfig,
    cmConfig,
    ansible: await has(PEER_PACKAGES.ansible.program),
    pssh: await has(PEER_PACKAGES.pssh.program),
    ansibleEnv: {
      ...process.env,
      ANSIBLE_CONFIG: ansibleCfg,
      ANSIBLE_HOST_KEY_CHECKING: 'True',
      ANSIBLE_SSH_CONTROL_PATH_DIR: join(dir, 'ansible-cp'),
      ANSIBLE_LOCAL_TEMP: join(dir, 'ansible-tmp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      ANSIBLE_DEPRECATION_WARNINGS: 'False',
      ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${knownHosts} -o IdentitiesOnly=yes`,
    },
    async close() {
      await closeMasters(peers, fleet);
    },
  };
  for (const [key, { program, apt }] of Object.entries(PEER_PACKAGES)) {
    if (!peers[key])
      log(`peers: skipped: ${program} is not installed (apt-get install ${apt}, or run .ci/run as root)`);
  }
  return peers;
}

/** Starts (or checks) the ControlMaster connection of every machine: `ssh -F cm-config mNN true`. */
export async function openMasters(peers, fleet) {
  await Promise.all(fleet.machines.map((m) => run('ssh', ['-F', peers.cmConfig, m.name, 'true'], { timeout: 30_000 })));
}

async function closeMasters(peers, fleet) {
  await Promise.allSettled(
    fleet.machines.map((m) => run('ssh', ['-F', peers.cmConfig, '-O', 'exit', m.name], { timeout: 10_000 })),
  );
}

/** Runs a process to completion; resolves with elapsed ms; throws with its output on a non-zero exit. */
export function timedProcess(command, args, { input, env, timeoutMs = 900_000 } = {}) {
  return new Promise((resolve, reject) => {
    const start = nowMs();
    const child = spawn(command, args, { env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.length > 200_000) out = out.slice(-100_000);
    });
    child.stderr.on('data', (c) => {
      out += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = nowMs() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} exited ${code ?? signal}: ${out.slice(-1500)}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** `xargs -P10 -L1 ssh -F config HOST CMD` over `commands` ([machineName, command]). */
export function xargsSsh(peers, commands, { controlMaster = false, parallel = 10 } = {}) {
  const input = commands.map(([host, cmd]) => `${host} ${cmd}\n`).join('');
  const config = controlMaster ? peers.cmConfig : peers.sshConfig;
  return timedProcess('xargs', [`-P${parallel}`, '-L1', 'ssh', '-F', config], { input });
}

/** parallel-ssh -p 10 over a host file listing each command's machine (one command for all). */
export async function pssh(peers, hosts, command, { parallel = 10 } = {}) {
  const file = join(peers.dir, `pssh-hosts-${hosts.length}`);
  await writeFile(file, hosts.map((h) => `${h}\n`).join(''));
  return timedProcess('parallel-ssh', [
    '-h',
    file,
    '-p',
    String(parallel),
    '-t',
    '0',
    '-x',
    `-F ${peers.sshConfig}`,
    command,
  ]);
}

/** An inventory of `hosts.length` entries (an alias per command, each on its machine), then `ansible all`. */
export async function ansible(peers, fleet, hosts, module, command, { forks = 10 } = {}) {
  const byName = new Map(fleet.machines.map((m) => [m.name, m]));
  const file = join(peers.dir, `inventory-${hosts.length}.ini`);
  const lines = hosts.map((h, i) => {
    const m = byName.get(h);
    return `t${i}-${h} ansible_host=${m.host} ansible_port=${m.port}`;
  });
  const vars = [
    `ansible_user=${fleet.machines[0].user}`,
    `ansible_ssh_private_key_file=${fleet.key.privateKeyPath}`,
    'ansible_python_interpreter=/usr/bin/python3',
  ];
  await writeFile(file, `[fleet]\n${lines.join('\n')}\n\n[fleet:vars]\n${vars.join('\n')}\n`);
  return timedProcess('ansible', ['all', '-i', file, '-m', module, '-a', command, '-f', String(forks)], {
    env: peers.ansibleEnv,
  });
}
