/**
 * Whether the run that created a resource is gone, judged from the resource's labels alone (no
 * privileged reaper): only ephemeral resources are ever judged, never a user's `compose up -d`.
 */
import { hostname } from "node:os";
import { Label, type RunOwner } from "../run/labels.ts";
import { bootId } from "../run/identity.ts";

export interface HostFacts {
  host: string;
  bootId: string;
  now: number;
  isPidAlive(pid: number): boolean;
}

export type OwnerVerdict = { gone: false; reason: string } | { gone: true; reason: string };

export function judgeOwner(labels: Record<string, string> | null | undefined, facts: HostFacts): OwnerVerdict {
  if (!labels || !labels[Label.run]) return { gone: false, reason: "not created by Slipway" };
  if (labels[Label.lifetime] !== "ephemeral") return { gone: false, reason: "persistent (made by `compose up`): removed only on request" };
  const expires = Date.parse(labels[Label.expires] ?? "");
  if (Number.isFinite(expires) && expires < facts.now) return { gone: true, reason: `expired at ${labels[Label.expires]}` };
  if (labels[Label.ownerHost] !== facts.host) return { gone: false, reason: `owned by host ${labels[Label.ownerHost]}; not expired` };
  if (labels[Label.ownerBootId] && labels[Label.ownerBootId] !== facts.bootId) return { gone: true, reason: "its owner ran before this machine rebooted" };
  const pid = Number(labels[Label.ownerPid]);
  if (Number.isInteger(pid) && pid > 0 && !facts.isPidAlive(pid)) return { gone: true, reason: `its owner (pid ${pid}) is gone` };
  return { gone: false, reason: `its owner (pid ${pid}) is running` };
}

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is not ours to signal.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** This machine, now: what judgeOwner compares a resource's owner with (the owner's own host and boot id when given). */
export function hostFacts(owner?: Pick<RunOwner, "host" | "bootId">): HostFacts {
  return { host: owner?.host ?? hostname(), bootId: owner?.bootId ?? bootId(), now: Date.now(), isPidAlive };
}
