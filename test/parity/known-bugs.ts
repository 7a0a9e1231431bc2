/**
 * Differences the parity cases found that look like bugs, shared by the cases that meet them
 * (see Known in harness.ts): each case still guards everything else, and an entry that stops
 * matching fails its case until it is taken out.
 */
import type { Known } from "./harness.ts";

/** Differences in the containers `up` makes, reported as bugs (see Known in harness.ts). */
export function containerBugs(what: string): Known[] {
  return [
    {
      what,
      path: ["containers", "*", "image"],
      kind: "bug",
      reason: "Slipway creates a service's containers from the image ID it resolved (Config.Image sha256:…); docker compose from the image's name, which `docker ps` and `ps` show",
    },
    {
      what,
      path: ["containers", "*", "labels", "com.docker.compose.image"],
      kind: "bug",
      reason: "com.docker.compose.image holds the image's name in Slipway, its ID in compose 2.26 (which compares it to decide whether to recreate)",
    },
    {
      what,
      path: ["containers", "*", "networks", "*"],
      kind: "bug",
      reason: "compose 2.26 gives each container its own name as a network alias besides the service's; Slipway only the service's",
    },
    {
      what,
      path: ["containers", "*", "restart"],
      kind: "bug",
      reason: 'without `restart:`, compose sends an empty restart policy and Slipway "no" (the same to the engine, not to `docker inspect`)',
    },
  ];
}

