import { test } from "node:test";
import assert from "node:assert/strict";
import { displayablePorts, ellipsis, goJson, goMicrosTime, goQuote, goRfc3339Nano, goTimeString, humanDuration, humanSize, type LocalZone, utcZone } from "./display-values.ts";

const cet: LocalZone = { offsetMinutes: () => 60, abbreviation: () => "CET" };

test("Go's time text: Time.String, RFC 3339 with nanoseconds, the events' microseconds", () => {
  assert.equal(goTimeString(1796504623, utcZone), "2026-12-05 21:03:43 +0000 UTC");
  assert.equal(goTimeString(1796504623, cet), "2026-12-05 22:03:43 +0100 CET");
  assert.equal(goRfc3339Nano(1796504802616599333n, utcZone), "2026-12-05T21:06:42.616599333Z");
  assert.equal(goRfc3339Nano(1796504802616599300n, utcZone), "2026-12-05T21:06:42.6165993Z");
  assert.equal(goRfc3339Nano(1796504802000000000n, cet), "2026-12-05T22:06:42+01:00");
  assert.equal(goMicrosTime(1796504802616599333n, utcZone), "2026-12-05 21:06:42.616599");
});

test("go-units HumanDuration", () => {
  const s = 1000;
  assert.equal(humanDuration(500), "Less than a second");
  assert.equal(humanDuration(1 * s), "1 second");
  assert.equal(humanDuration(59 * s), "59 seconds");
  assert.equal(humanDuration(60 * s), "About a minute");
  assert.equal(humanDuration(119 * s), "About a minute");
  assert.equal(humanDuration(14 * 60 * s), "14 minutes");
  assert.equal(humanDuration(90 * 60 * s), "2 hours");
  assert.equal(humanDuration(89 * 60 * s), "About an hour");
  assert.equal(humanDuration(47 * 3600 * s), "47 hours");
  assert.equal(humanDuration(3 * 86400 * s), "3 days");
  assert.equal(humanDuration(20 * 86400 * s), "2 weeks");
  assert.equal(humanDuration(90 * 86400 * s), "3 months");
  assert.equal(humanDuration(800 * 86400 * s), "2 years");
});

test("go-units HumanSizeWithPrecision(size, 3): decimal units, Go's %.3g (half to even, exponent at 1000)", () => {
  assert.equal(humanSize(0), "0B");
  assert.equal(humanSize(999), "999B");
  assert.equal(humanSize(1000), "1kB");
  assert.equal(humanSize(1985643), "1.99MB");
  assert.equal(humanSize(1125), "1.12kB");
  assert.equal(humanSize(1135), "1.14kB");
  assert.equal(humanSize(999_500), "1e+03kB");
  assert.equal(humanSize(999_499), "999kB");
  assert.equal(humanSize(12_345_678_901), "12.3GB");
  assert.equal(humanSize(100_000), "100kB");
});

test("the docker CLI's Ellipsis and Go's strconv.Quote (compose's COMMAND column)", () => {
  assert.equal(ellipsis("sh -c 'httpd -f -p 8080'", 20), "sh -c 'httpd -f -p …");
  assert.equal(ellipsis("sleep 3600", 20), "sleep 3600");
  assert.equal(ellipsis("lpdemo_data_with_a_long_name", 15), "lpdemo_data_wi…");
  assert.equal(ellipsis("日本語のコマンドです", 7), "日本語…");
  assert.equal(goQuote("sh -c 'echo \"hi\"\\n'"), '"sh -c \'echo \\"hi\\"\\\\n\'"');
  assert.equal(goQuote("a\tb\nc\x01\x7f"), '"a\\tb\\nc\\x01\\x7f"');
  assert.equal(goQuote("é…"), '"é…"');
});

test("DisplayablePorts: published ports as IP:PUBLIC->PRIVATE, unpublished ones grouped in ranges", () => {
  assert.equal(
    displayablePorts([
      { IP: "0.0.0.0", PrivatePort: 8081, PublicPort: 32768, Type: "tcp" },
      { IP: "::", PrivatePort: 8081, PublicPort: 32768, Type: "tcp" },
      { IP: "127.0.0.1", PrivatePort: 8080, PublicPort: 32787, Type: "tcp" },
    ]),
    "127.0.0.1:32787->8080/tcp, 0.0.0.0:32768->8081/tcp, :::32768->8081/tcp",
  );
  assert.equal(
    displayablePorts([
      { IP: "", PrivatePort: 8000, PublicPort: 0, Type: "tcp" },
      { IP: "", PrivatePort: 8001, PublicPort: 0, Type: "tcp" },
      { IP: "", PrivatePort: 8002, PublicPort: 0, Type: "tcp" },
      { IP: "", PrivatePort: 9000, PublicPort: 0, Type: "tcp" },
      { IP: "", PrivatePort: 53, PublicPort: 0, Type: "udp" },
    ]),
    "8000-8002/tcp, 53/udp, 9000/tcp",
  );
  assert.equal(displayablePorts([{ IP: "0.0.0.0", PrivatePort: 80, PublicPort: 80, Type: "tcp" }]), "0.0.0.0:80->80/tcp");
  assert.equal(displayablePorts([]), "");
});

test("Go's encoding/json: HTML escaped unless asked not to, U+2028 always, control characters as \\u00XX", () => {
  assert.equal(goJson({ a: "x<y>&z", b: [1, null], c: {} }), '{"a":"x\\u003cy\\u003e\\u0026z","b":[1,null],"c":{}}');
  assert.equal(goJson({ a: "x<y>" }, { escapeHtml: false }), '{"a":"x<y>"}');
  assert.equal(goJson("\u2028\b\n\u0001"), '"\\u2028\\u0008\\n\\u0001"');
  assert.equal(goJson({ a: [1], b: {} }, { indent: "  " }), '{\n  "a": [\n    1\n  ],\n  "b": {}\n}');
});
