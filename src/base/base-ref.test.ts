import { test } from "node:test";
import assert from "node:assert/strict";
import type { BaseConfig, ImageConfig } from "../config/pipeline-schema.ts";
import { isSlipwayError } from "../errors/index.ts";
import { baseRef, baseSetup, baseVersionsIn } from "./base-ref.ts";

const base = (over: Partial<BaseConfig> = {}): BaseConfig => ({ image: undefined, version_file: undefined, build: { context: ".", dockerfile: "Dockerfile.base", target: undefined, args: {} }, arg: "BASE_IMAGE", rebuild_after_layers: 10, rebuild_after_size: "200MB", ...over });
const image = (repository?: string): ImageConfig => ({ build: { context: ".", dockerfile: "Dockerfile", target: undefined, args: {} }, repository });

function configError(fn: () => unknown, code: string, message: RegExp, hint: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isSlipwayError(err));
    assert.deepEqual([err.code, err.kind], [code, "config"]);
    assert.match(err.message, message);
    assert.match(err.hint ?? "", hint);
    return true;
  });
}

test("baseSetup: the only image by default, its repository or its key", () => {
  assert.deepEqual(baseSetup({ base: base(), images: { app: image() } }), { base: base(), key: "app", repository: "app" });
  assert.deepEqual(baseSetup({ base: base(), images: { app: image("team/shop") } }).repository, "team/shop");
  assert.deepEqual(baseSetup({ base: base({ image: "web" }), images: { app: image(), web: image("shop-web") } }).repository, "shop-web");
});

test("baseSetup: no base, no image, several images without base.image, an unknown one: config errors with a hint", () => {
  configError(() => baseSetup({ base: undefined, images: { app: image() } }), "BASE_NOT_CONFIGURED", /no base: section/, /Dockerfile\.base/);
  configError(() => baseSetup({ base: base(), images: {} }), "BASE_IMAGE_AMBIGUOUS", /no images:/, /Add the app image/);
  configError(() => baseSetup({ base: base(), images: { app: image(), web: image() } }), "BASE_IMAGE_AMBIGUOUS", /\(app, web\)/, /base: \{ image: app \}/);
  configError(() => baseSetup({ base: base({ image: "api" }), images: { app: image() } }), "BASE_IMAGE_UNKNOWN", /names api/, /one of images: app/);
});

test("baseRef and the versions among a repository's tags", () => {
  assert.equal(baseRef("team/shop", "20261207.2"), "team/shop:base-20261207.2");
  assert.deepEqual(baseVersionsIn("app", ["app:base-1", "app:slipway", "app-base:base-9", "app:base-20261207.2", "apps:base-3"]), ["1", "20261207.2"]);
});
