/**
 * Typed request and response bodies of the Engine API calls Slipway makes (subset of
 * the Engine API's swagger definitions; fields we don't read are left out rather than typed `any`).
 */

export type Labels = Record<string, string>;

export interface HealthConfig {
  Test?: string[];
  /** Nanoseconds. */
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  /** API >= 1.44. */
  StartInterval?: number;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface Mount {
  Type: "bind" | "volume" | "tmpfs" | "npipe";
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Labels; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface RestartPolicy {
  Name: "" | "no" | "always" | "unless-stopped" | "on-failure";
  MaximumRetryCount?: number;
}

export interface HostConfig {
  Binds?: string[];
  Mounts?: Mount[];
  PortBindings?: Record<string, PortBinding[] | null>;
  PublishAllPorts?: boolean;
  NetworkMode?: string;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  Init?: boolean | null;
  ExtraHosts?: string[];
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  CapAdd?: string[];
  CapDrop?: string[];
  ReadonlyRootfs?: boolean;
  ShmSize?: number;
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  Sysctls?: Record<string, string>;
  Tmpfs?: Record<string, string>;
  Privileged?: boolean;
  SecurityOpt?: string[];
  Memory?: number;
  NanoCpus?: number;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  GroupAdd?: string[];
  LogConfig?: { Type: string; Config?: Record<string, string> };
  Devices?: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[];
  VolumesFrom?: string[];
  Links?: string[];
  OomKillDisable?: boolean;
  PidsLimit?: number;
  CgroupParent?: string;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number;
  OomScoreAdj?: number;
  CgroupnsMode?: string;
  DeviceCgroupRules?: string[];
  StorageOpt?: Record<string, string>;
  BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[];
  BlkioDeviceReadBps?: { Path: string; Rate: number }[];
  BlkioDeviceWriteBps?: { Path: string; Rate: number }[];
  BlkioDeviceReadIOps?: { Path: string; Rate: number }[];
  BlkioDeviceWriteIOps?: { Path: string; Rate: number }[];
  Runtime?: string;
  Isolation?: string;
  /** API 1.43+. */
  Annotations?: Record<string, string>;
}

export interface EndpointSettings {
  Aliases?: string[];
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] };
  Links?: string[];
  DriverOpts?: Record<string, string>;
  NetworkID?: string;
  EndpointID?: string;
  IPAddress?: string;
  MacAddress?: string;
}

export interface ContainerCreateBody {
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Labels;
  ExposedPorts?: Record<string, Record<string, never>>;
  Healthcheck?: HealthConfig;
  StopSignal?: string;
  /** Seconds. */
  StopTimeout?: number;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Hostname?: string;
  Domainname?: string;
  MacAddress?: string;
  Volumes?: Record<string, Record<string, never>>;
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings> };
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings: string[] | null;
}

export type ContainerStatus = "created" | "restarting" | "running" | "removing" | "paused" | "exited" | "dead";
export type HealthStatus = "none" | "starting" | "healthy" | "unhealthy";

export interface HealthcheckResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: HealthStatus; FailingStreak: number; Log: HealthcheckResult[] | null };
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  RestartCount: number;
  State: ContainerState;
  Config: ContainerCreateBody & { Labels: Labels | null; Image: string };
  HostConfig: HostConfig;
  NetworkSettings: {
    Ports: Record<string, PortBinding[] | null> | null;
    Networks: Record<string, EndpointSettings>;
  };
  Mounts: { Type: string; Name?: string; Source: string; Destination: string; RW: boolean }[];
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  State: ContainerStatus;
  Status: string;
  Labels: Labels;
  Ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[];
  NetworkSettings?: { Networks: Record<string, EndpointSettings> };
  Mounts?: { Type: string; Name?: string; Source: string; Destination: string; Driver?: string; Mode?: string; RW: boolean; Propagation?: string }[];
  /** With `size=true` only. */
  SizeRw?: number;
  SizeRootFs?: number;
}

/** `GET /containers/{id}/top`: `ps` columns and rows of the container's processes. */
export interface ContainerTop {
  Titles: string[];
  Processes: string[][] | null;
}

export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: string;
  Size: number;
  /** When the engine last tagged the image here (a pull, a build, a tag). */
  Metadata?: { LastTagTime?: string };
  Config: { Labels?: Labels | null; Env?: string[]; Cmd?: string[] | null; Entrypoint?: string[] | null; Healthcheck?: HealthConfig; ExposedPorts?: Record<string, object> | null; WorkingDir?: string; User?: string } | null;
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  Labels: Labels | null;
  Containers: number;
}

export interface NetworkCreateBody {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[]; Options?: Record<string, string> };
  Options?: Record<string, string>;
  Labels?: Labels;
  /** Deprecated in API 1.44; ignored by newer engines. */
  CheckDuplicate?: boolean;
}

export interface NetworkInspect {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Internal: boolean;
  Labels: Labels | null;
  Containers?: Record<string, { Name: string; EndpointID: string }> | null;
}

export interface VolumeCreateBody {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Labels;
}

export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels: Labels | null;
  Scope: string;
  CreatedAt?: string;
}

export interface ExecCreateBody {
  Cmd: string[];
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[];
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
}

export interface SystemVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  GitCommit?: string;
}

export interface SystemInfo {
  ID: string;
  Name: string;
  ServerVersion: string;
  Driver: string;
  DockerRootDir: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  Containers: number;
  Images: number;
  CgroupVersion?: string;
  RegistryConfig?: { Mirrors?: string[]; InsecureRegistryCIDRs?: string[]; IndexConfigs?: Record<string, { Mirrors: string[]; Secure: boolean }> };
  Swarm: { LocalNodeState: "inactive" | "pending" | "active" | "error" | "locked" | ""; NodeID?: string; ControlAvailable?: boolean };
  Warnings?: string[] | null;
}

export interface EngineEvent {
  Type: "container" | "image" | "volume" | "network" | "daemon" | "plugin" | "node" | "service" | "secret" | "config" | "builder";
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: "local" | "swarm";
  time: number;
  timeNano: number;
  /** `timeNano` exactly, as the digits the engine sent: a JS number keeps only about 16 of its 19. */
  timeNanoText?: string;
}

/** Registry credentials, sent base64url-encoded in X-Registry-Auth. Never logged. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** One message of a build/pull/push JSON progress stream. */
export interface ProgressMessage {
  status?: string;
  id?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/** moby's jsonmessage.JSONMessage, as sent by build, pull and push. */
export interface JsonMessage {
  stream?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number; start?: number; hidecounts?: boolean; units?: string };
  /** Deprecated pre-rendered progress bar. */
  progress?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string };
  /** Deprecated twin of `errorDetail.message`; older engines send only this. */
  error?: string;
  /** Out-of-band results: `{ID}` after a build, `{Tag, Digest, Size}` after a push, BuildKit traces. */
  aux?: unknown;
}

/** Which builder the engine uses for builds: BuildKit (`POST /build?version=2`) or the classic one. */
export type Builder = "buildkit" | "classic";
