/**
 * Networks and volumes against the real engine: create, inspect, list by label, remove; removing
 * what is already gone is success; failures are classified by HTTP status (404, 409), never by text.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineApiError, isConflict, isNotFound, type Engine } from "../../../src/engine/index.ts";
import { runFilters, runToExit, tempContainer, testLabels, uniqueName, RUN_LABEL, RUN_ID, useEngine, rejection } from "./harness.ts";

let engine: Engine;
useEngine((e) => (engine = e));

test("network: create, inspect, list by label, connect a container, remove, remove again", async () => {
  const name = uniqueName("net");
  const created = await engine.networks.create({ Name: name, Labels: testLabels({ "dev.slipway.case": "net" }), CheckDuplicate: true });
  try {
    const inspected = await engine.networks.inspect(name);
    assert.equal(inspected.Id, created.Id);
    assert.equal(inspected.Name, name);
    assert.equal(inspected.Driver, "bridge");
    assert.equal(inspected.Labels?.[RUN_LABEL], RUN_ID);
    const listed = await engine.networks.list({ filters: { ...runFilters(), name: [name] } });
    assert.deepEqual(listed.map((n) => n.Id), [created.Id]);

    {
      // A container on the network resolves another by its alias through the engine's DNS.
      await using server = await tempContainer(
        engine,
        {
          Cmd: ["sleep", "300"],
          HostConfig: { NetworkMode: name },
          NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: ["slipway-peer"] } } },
        },
        "netsrv",
      );
      await engine.containers.start(server.id);
      await using client = await tempContainer(engine, { Cmd: ["ping", "-c", "1", "-W", "5", "slipway-peer"], HostConfig: { NetworkMode: name } }, "netcli");
      assert.equal(await runToExit(engine, client.id), 0);

      // A network with an endpoint cannot be removed: 403 on 20.10 ("has active endpoints"), by status.
      const inUse = await rejection(engine.networks.remove(name));
      assert.ok(inUse instanceof EngineApiError, String(inUse));
      assert.ok(inUse.status === 403 || inUse.status === 409, `status ${inUse.status}`);
    }
    // The containers are gone (await using), so this removal is real; the second is a no-op.
    await engine.networks.remove(created.Id);
    await engine.networks.remove(created.Id);
    assert.equal(await engine.networks.find(created.Id), undefined);
    const gone = await rejection(engine.networks.inspect(name));
    assert.ok(isNotFound(gone), String(gone));
    assert.equal((gone as EngineApiError).reason, "not-found");
  } finally {
    await engine.networks.remove(created.Id);
  }
});

test("network: a duplicate name with CheckDuplicate is a conflict (409)", async () => {
  const name = uniqueName("netdup");
  const first = await engine.networks.create({ Name: name, Labels: testLabels(), CheckDuplicate: true });
  try {
    const err = await rejection(engine.networks.create({ Name: name, Labels: testLabels(), CheckDuplicate: true }));
    assert.ok(isConflict(err), String(err));
  } finally {
    await engine.networks.remove(first.Id);
  }
});

test("volume: create, inspect, list by label, in-use removal is a conflict, remove, remove again", async () => {
  const name = uniqueName("vol");
  const created = await engine.volumes.create({ Name: name, Labels: testLabels({ "dev.slipway.case": "vol" }) });
  try {
    assert.equal(created.Name, name);
    assert.equal(created.Driver, "local");
    const inspected = await engine.volumes.inspect(name);
    assert.equal(inspected.Labels?.[RUN_LABEL], RUN_ID);
    const listed = await engine.volumes.list({ filters: { ...runFilters(), name: [name] } });
    assert.deepEqual(listed.map((v) => v.Name), [name]);

    {
      // A volume a container (even a stopped one) refers to cannot be removed: 409, by status.
      await using writer = await tempContainer(
        engine,
        { Cmd: ["sh", "-c", "echo kept > /data/f"], HostConfig: { Mounts: [{ Type: "volume", Source: name, Target: "/data" }] } },
        "volw",
      );
      assert.equal(await runToExit(engine, writer.id), 0);
      const inUse = await rejection(engine.volumes.remove(name));
      assert.ok(isConflict(inUse), String(inUse));

      // The data outlives the container that wrote it.
      await using reader = await tempContainer(
        engine,
        { Cmd: ["sh", "-c", "test \"$(cat /data/f)\" = kept"], HostConfig: { Mounts: [{ Type: "volume", Source: name, Target: "/data", ReadOnly: true }] } },
        "volr",
      );
      assert.equal(await runToExit(engine, reader.id), 0);
    }
    await engine.volumes.remove(name);
    await engine.volumes.remove(name);
    assert.equal(await engine.volumes.find(name), undefined);
    const gone = await rejection(engine.volumes.inspect(name));
    assert.ok(isNotFound(gone), String(gone));
  } finally {
    await engine.volumes.remove(name, { force: true }).catch(() => undefined);
  }
});

test("image not found is classified by status (404) and find() says undefined", async () => {
  const ref = `${uniqueName("noimg")}:1`;
  const err = await rejection(engine.images.inspect(ref));
  assert.ok(isNotFound(err), String(err));
  assert.equal(await engine.images.find(ref), undefined);
  await engine.images.remove(ref);
  // Creating a container from a missing image is a 404 too (the CLI pulls on that status).
  const create = await rejection(engine.containers.create({ Image: ref, Labels: testLabels() }, { name: uniqueName("noimg") }));
  assert.ok(isNotFound(create), String(create));
});
