import os from 'node:os';

export interface MachineInfo {
  readonly platform: string;
  readonly arch: string;
  readonly release: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryGB: number;
  readonly node: string;
  readonly v8: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    platform: os.platform(),
    arch: os.arch(),
    release: os.release(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    totalMemoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
  };
}

export function describeMachine(machine: MachineInfo): string {
  return `${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryGB} GB, ${machine.platform} ${machine.arch}, Node ${machine.node}`;
}
