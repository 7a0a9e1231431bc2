/**
 * Request and response bodies of the Swarm endpoints Slipway uses (services, tasks, nodes,
 * secrets, configs, the swarm itself), from the Engine API's swagger definitions and moby's
 * api/types/swarm, which is what the engine really encodes: JSON keys are the Go field names
 * (`Healthcheck`, where the swagger says `HealthCheck`; Go decodes either, it answers this one).
 *
 * Durations are Go `time.Duration`s: integer nanoseconds. Fields that API 1.41 (Engine 20.10,
 * the oldest we speak) does not have say so: such an engine ignores them without a word.
 */
import type { HealthConfig, Labels, Mount } from "./types.ts";

/** A swarm object's version: sent back with an update, which the engine refuses when it is stale. */
export interface ObjectVersion {
  Index: number;
}

/** A driver by name with its options (log drivers, secret drivers, templating). */
export interface SwarmDriver {
  Name: string;
  Options?: Record<string, string>;
}

/** A file a secret or config is mounted as, in the container (`/run/secrets/<Name>` unless absolute). */
export interface SwarmFileTarget {
  Name: string;
  /** Strings, as the engine takes them ("0"). */
  UID?: string;
  GID?: string;
  /** File mode bits, e.g. 0o444. */
  Mode?: number;
}

export interface SecretReference {
  File?: SwarmFileTarget;
  SecretID: string;
  SecretName: string;
}

export interface ConfigReference {
  /** Exclusive with `Runtime`. */
  File?: SwarmFileTarget;
  /** A config used by the runtime, not mounted (Windows credential specs). */
  Runtime?: Record<string, never>;
  ConfigID: string;
  ConfigName: string;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Labels;
  /** Replaces the image's entrypoint. */
  Command?: string[];
  /** Replaces the image's command. */
  Args?: string[];
  Hostname?: string;
  /** `VAR=value`. */
  Env?: string[];
  Dir?: string;
  User?: string;
  Groups?: string[];
  Privileges?: {
    CredentialSpec?: { Config?: string; File?: string; Registry?: string };
    SELinuxContext?: { Disable?: boolean; User?: string; Role?: string; Type?: string; Level?: string };
    /** Newer than API 1.41. */
    Seccomp?: { Mode?: "default" | "unconfined" | "custom"; Profile?: string };
    /** Newer than API 1.41. */
    AppArmor?: { Mode?: "default" | "disabled" };
    /** Newer than API 1.41. */
    NoNewPrivileges?: boolean;
  };
  /** Run an init as PID 1; absent: the daemon's default. */
  Init?: boolean | null;
  StopSignal?: string;
  TTY?: boolean;
  OpenStdin?: boolean;
  ReadOnly?: boolean;
  /** Volumes are the node's own: a named volume is created on each node a task lands on. */
  Mounts?: Mount[];
  /** Nanoseconds between the stop signal and the kill. */
  StopGracePeriod?: number;
  Healthcheck?: HealthConfig;
  /** `IP_address canonical_hostname [aliases...]`, as hosts(5). */
  Hosts?: string[];
  DNSConfig?: { Nameservers?: string[]; Search?: string[]; Options?: string[] };
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
  Isolation?: "default" | "process" | "hyperv" | "";
  Sysctls?: Record<string, string>;
  CapabilityAdd?: string[];
  CapabilityDrop?: string[];
  Ulimits?: { Name: string; Soft: number; Hard: number }[];
  /** Newer than API 1.41. */
  OomScoreAdj?: number;
}

export interface GenericResource {
  NamedResourceSpec?: { Kind: string; Value: string };
  DiscreteResourceSpec?: { Kind: string; Value: number };
}

export interface ResourceRequirements {
  Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
  Reservations?: { NanoCPUs?: number; MemoryBytes?: number; GenericResources?: GenericResource[] };
  /** Newer than API 1.41. */
  SwapBytes?: number;
  /** Newer than API 1.41. */
  MemorySwappiness?: number;
}

/** A task's restart policy (not a container's: the condition is swarm's `none | on-failure | any`). */
export interface TaskRestartPolicy {
  Condition?: "none" | "on-failure" | "any";
  /** Nanoseconds between restarts. */
  Delay?: number;
  /** 0: unlimited. */
  MaxAttempts?: number;
  /** Nanoseconds over which restarts are counted; 0: unbounded. */
  Window?: number;
}

export interface Placement {
  /** `node.role==manager`, `node.labels.tier!=db`, ... (all must hold). */
  Constraints?: string[];
  Preferences?: { Spread: { SpreadDescriptor: string } }[];
  /** Replicas per node; 0: unlimited. */
  MaxReplicas?: number;
  Platforms?: { Architecture?: string; OS?: string }[];
}

export interface NetworkAttachmentConfig {
  /** A network name or ID. */
  Target: string;
  Aliases?: string[];
  DriverOpts?: Record<string, string>;
}

export interface TaskSpec {
  ContainerSpec?: ContainerSpec;
  Resources?: ResourceRequirements;
  RestartPolicy?: TaskRestartPolicy;
  Placement?: Placement;
  /** Where a service's networks go since API 1.44 (ServiceSpec.Networks is deprecated). */
  Networks?: NetworkAttachmentConfig[];
  LogDriver?: SwarmDriver;
  /** Bump to redeploy the tasks although nothing else changed. */
  ForceUpdate?: number;
  Runtime?: string;
}

export type ServiceMode =
  | { Replicated: { Replicas?: number } }
  | { Global: Record<string, never> }
  | { ReplicatedJob: { MaxConcurrent?: number; TotalCompletions?: number } }
  | { GlobalJob: Record<string, never> };

export interface UpdateConfig {
  /** Tasks updated at once; 0: all. */
  Parallelism?: number;
  /** Nanoseconds between batches. */
  Delay?: number;
  FailureAction?: "continue" | "pause" | "rollback";
  /** Nanoseconds each updated task is watched for a failure. */
  Monitor?: number;
  /** The fraction of tasks (0 to 1) that may fail before FailureAction. */
  MaxFailureRatio?: number;
  Order?: "stop-first" | "start-first";
}

/** As UpdateConfig; a rollback that fails cannot roll back. */
export interface RollbackConfig extends Omit<UpdateConfig, "FailureAction"> {
  FailureAction?: "continue" | "pause";
}

export interface EndpointPortConfig {
  Name?: string;
  Protocol?: "tcp" | "udp" | "sctp";
  TargetPort: number;
  PublishedPort?: number;
  /** `ingress` (the routing mesh, the default) or `host` (on the task's node only). */
  PublishMode?: "ingress" | "host";
}

export interface EndpointSpec {
  /** `vip` (the default) or `dnsrr`, which takes no ingress ports. */
  Mode?: "vip" | "dnsrr";
  Ports?: EndpointPortConfig[];
}

export interface ServiceSpec {
  Name: string;
  Labels?: Labels;
  TaskTemplate: TaskSpec;
  Mode?: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: RollbackConfig;
  /** Deprecated since API 1.44: use TaskTemplate.Networks. */
  Networks?: NetworkAttachmentConfig[];
  EndpointSpec?: EndpointSpec;
}

/**
 * Where a rolling update is. The swagger lists the first three; swarmkit reports the rollback
 * states too (moby api/types/swarm/service.go).
 */
export type ServiceUpdateState = "updating" | "paused" | "completed" | "rollback_started" | "rollback_paused" | "rollback_completed";

export interface ServiceUpdateStatus {
  State?: ServiceUpdateState;
  StartedAt?: string;
  CompletedAt?: string;
  /** Why it paused or rolled back ("update paused due to failure or early termination of task ..."). */
  Message?: string;
}

/** Task counts; only in `services.list({ status: true })`. */
export interface ServiceStatus {
  RunningTasks: number;
  DesiredTasks: number;
  /** Job-mode services only. */
  CompletedTasks?: number;
}

export interface Service {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  /** The spec before the last update: what `rollback: "previous"` goes back to. */
  PreviousSpec?: ServiceSpec;
  Endpoint?: {
    Spec?: EndpointSpec;
    Ports?: EndpointPortConfig[];
    VirtualIPs?: { NetworkID: string; Addr: string }[];
  };
  /** Absent until the service has been updated once. */
  UpdateStatus?: ServiceUpdateStatus;
  ServiceStatus?: ServiceStatus;
  JobStatus?: { JobIteration: ObjectVersion; LastExecution?: string };
}

export interface ServiceCreateResponse {
  ID: string;
  Warnings?: string[] | null;
}

export interface ServiceUpdateResponse {
  Warnings?: string[] | null;
}

export type TaskState =
  | "new"
  | "allocated"
  | "pending"
  | "assigned"
  | "accepted"
  | "preparing"
  | "ready"
  | "starting"
  | "running"
  | "complete"
  | "shutdown"
  | "failed"
  | "rejected"
  | "remove"
  | "orphaned";

/** The container behind a task (not types.ts' ContainerStatus, a container's state word). */
export interface TaskContainerStatus {
  ContainerID?: string;
  PID?: number;
  ExitCode?: number;
}

export interface TaskStatus {
  Timestamp: string;
  State: TaskState;
  Message?: string;
  /** Why the task failed or was rejected ("task: non-zero exit (1)", "No such image: ..."). */
  Err?: string;
  ContainerStatus?: TaskContainerStatus;
  PortStatus?: { Ports?: EndpointPortConfig[] };
}

export interface Task {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Name?: string;
  Labels?: Labels;
  Spec: TaskSpec;
  ServiceID: string;
  /** The replica number of a replicated service's task (absent for global services). */
  Slot?: number;
  /** Absent until the task is scheduled on a node. */
  NodeID?: string;
  Status: TaskStatus;
  DesiredState: TaskState;
  NetworksAttachments?: { Network: { ID: string; Spec?: { Name: string } }; Addresses: string[] }[];
  JobIteration?: ObjectVersion;
}

export type NodeAvailability = "active" | "pause" | "drain";
export type NodeRole = "worker" | "manager";

export interface NodeSpec {
  Name?: string;
  Labels?: Labels;
  Role: NodeRole;
  Availability: NodeAvailability;
}

export interface NodeStatus {
  State: "unknown" | "down" | "ready" | "disconnected";
  Message?: string;
  Addr?: string;
}

export interface ManagerStatus {
  Leader?: boolean;
  Reachability: "unknown" | "unreachable" | "reachable";
  /** `ip:port` of the manager's raft listener. */
  Addr: string;
}

export interface Node {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: NodeSpec;
  Description: {
    Hostname: string;
    Platform: { Architecture: string; OS: string };
    Resources: { NanoCPUs: number; MemoryBytes: number; GenericResources?: GenericResource[] };
    Engine: { EngineVersion: string; Labels?: Labels; Plugins?: { Type: string; Name: string }[] };
  };
  Status: NodeStatus;
  /** Managers only. */
  ManagerStatus?: ManagerStatus;
}

/**
 * A secret as the engine lists it: its value is never returned. To create one, hand
 * `secrets.create` the bytes; it sends them base64-encoded, as `Data` must be.
 */
export interface SwarmSecretSpec {
  Name: string;
  Labels?: Labels;
  /** Standard base64 (RFC 4648), at most 500 KB decoded; only sent on create. */
  Data?: string;
  /** An external secret store; then Data is empty. */
  Driver?: SwarmDriver;
  Templating?: SwarmDriver;
}

export interface SwarmSecret {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: SwarmSecretSpec;
}

export interface SwarmConfigSpec {
  Name: string;
  Labels?: Labels;
  /** Standard base64 (RFC 4648), at most 1000 KB decoded; returned by inspect and list. */
  Data?: string;
  Templating?: SwarmDriver;
}

export interface SwarmConfig {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: SwarmConfigSpec;
}

/** Secrets and configs are created from their bytes (a string is UTF-8 text); the client encodes them. */
export type SwarmObjectCreate<Spec extends { Data?: string }> = Omit<Spec, "Data"> & { Data: string | Uint8Array };

export interface SwarmSpec {
  Name?: string;
  Labels?: Labels;
  Orchestration?: { TaskHistoryRetentionLimit?: number };
  Raft?: { SnapshotInterval?: number; KeepOldSnapshots?: number; LogEntriesForSlowFollowers?: number; ElectionTick?: number; HeartbeatTick?: number };
  Dispatcher?: { HeartbeatPeriod?: number };
  CAConfig?: { NodeCertExpiry?: number };
  EncryptionConfig?: { AutoLockManagers?: boolean };
  TaskDefaults?: { LogDriver?: SwarmDriver };
}

/**
 * `GET /swarm` without its JoinTokens: they are credentials that let a machine join the swarm,
 * Slipway never needs them, and what it does not hold it cannot leak into a log or evidence.
 */
export interface SwarmInspect {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: SwarmSpec;
  TLSInfo?: { TrustRoot?: string; CertIssuerSubject?: string; CertIssuerPublicKey?: string };
  RootRotationInProgress?: boolean;
  /** The VXLAN port overlay traffic uses (default 4789). */
  DataPathPort?: number;
  DefaultAddrPool?: string[];
  SubnetSize?: number;
}

/**
 * What an overlay network's create body adds to a local one's: networks.create takes both.
 * Driver `overlay` and `Attachable` (standalone containers may join) are in NetworkCreateBody.
 */
export interface SwarmNetworkOptions {
  /** `swarm` for a network every node of the swarm sees; an overlay on a manager is that anyway. */
  Scope?: "local" | "global" | "swarm";
  /** The routing-mesh network; a swarm has one. */
  Ingress?: boolean;
  /** A network that only holds configuration, for others to take with ConfigFrom. */
  ConfigOnly?: boolean;
  ConfigFrom?: { Network: string };
}

/** What inspect says of a network beyond NetworkInspect, for overlays. */
export interface SwarmNetworkFacts {
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
}
