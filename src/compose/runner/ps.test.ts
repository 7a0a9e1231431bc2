import { test } from "node:test";
import assert from "node:assert/strict";
import type { ContainerInspect, ContainerSummary } from "../../engine/index.ts";
import { utcZone } from "./display-values.ts";
import { canonicalName, filterByStatus, psFields, sortByName, toComposeContainer } from "./ps.ts";

/** The engine's list entry of a container docker compose 2.26.1 made (trimmed). */
const web: ContainerSummary = {
  Id: "4febc5d65eefdeac51fdb08e932035758fc4254d56f1334e8b01461f30c43368",
  Names: ["/lpdemo-web-1"],
  Image: "busybox:latest",
  ImageID: "sha256:3d10aa2da40d7506b016c8f3c1e83f873f38d5471069f0ba538f3992adcbc5a5",
  Command: "sh -c 'httpd -f -p 8080'",
  Created: 1796504623,
  Ports: [
    { IP: "127.0.0.1", PrivatePort: 8080, PublicPort: 32787, Type: "tcp" },
    { IP: "0.0.0.0", PrivatePort: 8081, PublicPort: 32768, Type: "tcp" },
    { IP: "::", PrivatePort: 8081, PublicPort: 32768, Type: "tcp" },
  ],
  Labels: {
    "com.docker.compose.project": "lpdemo",
    "com.docker.compose.service": "web",
    "com.docker.compose.oneoff": "False",
    x: "y",
  },
  State: "running",
  Status: "Up 3 seconds",
  NetworkSettings: { Networks: { lpdemo_default: {}, another: {} } },
  Mounts: [
    { Type: "volume", Name: "lpdemo_data", Source: "/var/lib/docker/volumes/lpdemo_data/_data", Destination: "/data", Driver: "local", Mode: "z", RW: true },
    { Type: "bind", Source: "/home/someone/a-long-project/config", Destination: "/etc/app", Mode: "", RW: true },
  ],
};

const inspect = (state: Partial<ContainerInspect["State"]>) => ({ State: { Status: "running", ExitCode: 0, ...state } }) as ContainerInspect;

test("compose's ContainerSummary from the engine's list entry and inspect", () => {
  const c = toComposeContainer(web, inspect({ Status: "running", Health: { Status: "healthy", FailingStreak: 0, Log: null } }));
  assert.equal(c.Name, "lpdemo-web-1");
  assert.equal(c.Project, "lpdemo");
  assert.equal(c.Service, "web");
  assert.equal(c.Health, "healthy");
  assert.equal(c.ExitCode, 0);
  assert.deepEqual(c.Publishers, [
    { URL: "127.0.0.1", TargetPort: 8080, PublishedPort: 32787, Protocol: "tcp" },
    { URL: "0.0.0.0", TargetPort: 8081, PublishedPort: 32768, Protocol: "tcp" },
    { URL: "::", TargetPort: 8081, PublishedPort: 32768, Protocol: "tcp" },
  ]);
  assert.deepEqual(c.Mounts, ["lpdemo_data", "/home/someone/a-long-project/config"]);
  assert.equal(c.LocalVolumes, 1);
  assert.deepEqual(c.Networks, ["another", "lpdemo_default"]);
});

test("health only while running, the exit code only once exited or dead; no ports is a nil list", () => {
  const exited = toComposeContainer({ ...web, State: "exited", Ports: [] }, inspect({ Status: "exited", ExitCode: 3, Health: { Status: "unhealthy", FailingStreak: 3, Log: null } }));
  assert.equal(exited.Health, "");
  assert.equal(exited.ExitCode, 3);
  assert.equal(exited.Publishers, null);
  const running = toComposeContainer(web, inspect({ Status: "running", ExitCode: 137 }));
  assert.equal(running.ExitCode, 0);
  assert.equal(running.Health, "");
  // Gone between the list and the inspect: listed as it was.
  assert.equal(toComposeContainer(web, undefined).Health, "");
});

test("publishers are ordered by private port, the engine's order kept among equals", () => {
  const c = toComposeContainer({ ...web, Ports: [web.Ports[1]!, web.Ports[2]!, web.Ports[0]!] });
  assert.deepEqual(c.Publishers!.map((p) => `${p.URL}:${p.TargetPort}`), ["127.0.0.1:8080", "0.0.0.0:8081", ":::8081"]);
});

test("the fields of compose's ContainerContext (ps --format), truncated and not", () => {
  const c = toComposeContainer(web, inspect({}));
  const now = new Date((1796504623 + 5) * 1000);
  const f = psFields(c, { trunc: true, now, zone: utcZone });
  assert.deepEqual(Object.keys(f), [...Object.keys(f)].sort(), "alphabetical, as compose's JSON (a Go map)");
  assert.equal(f.ID, "4febc5d65eef");
  assert.equal(f.Command, `"sh -c 'httpd -f -p …"`);
  assert.equal(f.CreatedAt, "2026-12-05 21:03:43 +0000 UTC");
  assert.equal(f.RunningFor, "5 seconds ago");
  assert.equal(f.Labels, "com.docker.compose.oneoff=False,com.docker.compose.project=lpdemo,com.docker.compose.service=web,x=y");
  assert.equal(f.LocalVolumes, "1");
  assert.equal(f.Mounts, "lpdemo_data,/home/someone/…");
  assert.equal(f.Names, "lpdemo-web-1");
  assert.equal(f.Networks, "another,lpdemo_default");
  assert.equal(f.Ports, "127.0.0.1:32787->8080/tcp, 0.0.0.0:32768->8081/tcp, :::32768->8081/tcp");
  assert.equal(f.Size, "0B");
  const full = psFields(c, { trunc: false, now, zone: utcZone });
  assert.equal(full.ID, web.Id);
  assert.equal(full.Command, `"sh -c 'httpd -f -p 8080'"`);
  assert.equal(full.Mounts, "lpdemo_data,/home/someone/a-long-project/config");
  assert.equal(psFields({ ...c, SizeRw: 12, SizeRootFs: 1985643 }, { trunc: true, now }).Size, "12B (virtual 1.99MB)");
});

test("names: the canonical one; link aliases left out of Names when truncating", () => {
  const linked = { ...web, Names: ["/other/alias", "/lpdemo-web-1"] };
  assert.equal(canonicalName(linked), "lpdemo-web-1");
  assert.equal(canonicalName({ Id: web.Id, Names: [] }), "4febc5d65eef");
  const c = toComposeContainer(linked);
  assert.equal(psFields(c, { trunc: true, now: new Date() }).Names, "lpdemo-web-1");
  assert.equal(psFields(c, { trunc: false, now: new Date() }).Names, "other/alias,lpdemo-web-1");
});

test("--status keeps the states named; rows sorted by name", () => {
  const a = toComposeContainer({ ...web, Names: ["/b-1"], State: "exited" });
  const b = toComposeContainer({ ...web, Names: ["/a-1"], State: "running" });
  assert.deepEqual(filterByStatus([a, b], ["exited"]).map((c) => c.Name), ["b-1"]);
  assert.deepEqual(filterByStatus([a, b], ["paused"]), []);
  assert.deepEqual(sortByName([a, b]).map((c) => c.Name), ["a-1", "b-1"]);
});
