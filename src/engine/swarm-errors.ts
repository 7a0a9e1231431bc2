/**
 * The two failures of the Swarm endpoints a caller must tell apart from the rest: an engine that
 * cannot serve them (not a manager), and an update sent with a version that is no longer current.
 */
import { SlipwayError } from "../errors/index.ts";
import { EngineApiError } from "./engine-error.ts";

/**
 * The engine is no swarm manager: not in a swarm, a worker, or a manager that cannot serve yet
 * (a locked swarm). moby answers all of these 503 on every swarm endpoint (daemon/cluster/errors.go:
 * errNoSwarm, errSwarmNotManager, errNoManager, errSwarmLocked are all "not available"), and 503
 * is used for nothing else there, so the status alone says it; the engine's words are kept.
 */
export class NotASwarmManagerError extends SlipwayError {
  readonly status: number;
  readonly method: string;
  readonly path: string;

  constructor(endpoint: string, cause: EngineApiError) {
    super(`The Docker engine at ${endpoint} is not a swarm manager Slipway can use (${cause.method} ${cause.path}: ${cause.message})`, {
      code: "NOT_A_SWARM_MANAGER",
      kind: "engine",
      cause,
      hint:
        "Point DOCKER_HOST (or the deploy target's host) at a manager node of the swarm: `docker node ls` on a manager " +
        "lists them. To make this engine a one-node swarm, run `docker swarm init` on it; a locked swarm needs `docker swarm unlock` first.",
      details: { status: cause.status, method: cause.method, path: cause.path },
    });
    this.status = cause.status;
    this.method = cause.method;
    this.path = cause.path;
  }
}

/**
 * An update (service or node) carried a version that is no longer the object's: someone changed it
 * after it was read. Read it again and decide again; retrying the same request can never succeed.
 */
export class OutOfSequenceError extends SlipwayError {
  readonly object: string;
  readonly version: number;

  constructor(object: string, version: number, cause: EngineApiError) {
    super(`${object} changed since version ${version} was read, so the update was refused (${cause.message})`, {
      code: "SWARM_UPDATE_OUT_OF_SEQUENCE",
      kind: "engine",
      cause,
      hint: "Something else updated it meanwhile (another deploy, `docker service update`, swarm itself): inspect it again and retry with its current version.",
      details: { object, version, status: cause.status },
    });
    this.object = object;
    this.version = version;
  }
}

/** A 503 from a swarm endpoint, as NotASwarmManagerError; any other error as it is. */
export function swarmFailure(err: unknown, endpoint: string): unknown {
  return err instanceof EngineApiError && err.status === 503 ? new NotASwarmManagerError(endpoint, err) : err;
}

/**
 * The engine's answer to an update whose version is stale. The one place we read message text:
 * swarmkit's store returns a bare `ErrSequenceConflict` ("update out of sequence",
 * manager/state/store/memory.go), which gRPC carries as code Unknown and moby turns into a plain
 * 500 (errdefs/http_helpers.go, statusCodeFromGRPCError), so no status tells it apart from any other
 * failure; moby's own integration tests match the same words. 409 is accepted too, for an engine
 * that some day classifies it as the conflict it is.
 */
export function isOutOfSequenceResponse(err: unknown): err is EngineApiError {
  return err instanceof EngineApiError && (err.status === 500 || err.status === 409) && /\bupdate out of sequence\b/i.test(err.message);
}

export const isNotASwarmManager = (e: unknown): e is NotASwarmManagerError => e instanceof NotASwarmManagerError;

/** An update refused for a stale version, classified (OutOfSequenceError) or still the engine's raw answer. */
export const isOutOfSequence = (e: unknown): boolean => e instanceof OutOfSequenceError || isOutOfSequenceResponse(e);
