import { test } from "node:test";
import assert from "node:assert/strict";
import { SlipwayError } from "../../errors/index.ts";
import { compileFormat, executeHeader, executeTemplate, GoSlice, GoStruct, headerContext, listFormat, parseTemplate, renderFormat, tabwrite, TemplateError, type GoValue } from "./format.ts";

const publisher = (URL: string, TargetPort: number, PublishedPort: number) => new GoStruct("api.PortPublisher", { URL, TargetPort, PublishedPort, Protocol: "tcp" });

/** A row shaped as compose's ContainerContext is (the fields the tests use). */
const row = (over: Record<string, GoValue> = {}): GoStruct =>
  new GoStruct(
    "*formatter.ContainerContext",
    {
      Name: "demo-web-1",
      Names: "demo-web-1",
      Service: "web",
      State: "running",
      Status: "Up 3 seconds",
      ExitCode: 0,
      Health: "",
      Labels: "a=1,x=y",
      Ports: "127.0.0.1:32787->8080/tcp",
      Publishers: new GoSlice("api.PortPublishers", [publisher("127.0.0.1", 8080, 32787), publisher("0.0.0.0", 8081, 32768)]),
      ...over,
    },
    {
      printable: false,
      json: () => '{"Name":"demo-web-1"}',
      methods: { Label: { arity: 1, call: ([k]) => (k === "x" ? "y" : "") } },
    },
  );

const run = (template: string, dot: GoValue = row()) => executeTemplate(parseTemplate(template), dot);

const refused = (template: string, part: RegExp) => {
  assert.throws(() => run(template), (e: unknown) => e instanceof TemplateError && part.test(e.message), template);
};

test("fields, text and the docker CLI's escapes", () => {
  assert.equal(run("{{.Name}}"), "demo-web-1");
  assert.equal(run("{{.Service}} is {{.State}}"), "web is running");
  assert.equal(run("{{ .Name }}"), "demo-web-1");
  assert.equal(run("{{.ExitCode}}"), "0");
  assert.equal(run("no actions"), "no actions");
  assert.equal(run(""), "");
});

test("methods with arguments: .Label", () => {
  assert.equal(run('{{.Label "x"}}'), "y");
  assert.equal(run('{{.Label "missing"}}'), "");
  assert.equal(run("{{$.Label `x`}}"), "y");
  refused("{{.Label}}", /wrong number of args for Label: want 1 got 0/);
  refused('{{.Name "x"}}', /Name is not a method but has arguments/);
});

test("json: the row's own JSON, and Go's JSON of other values", () => {
  assert.equal(run("{{json .}}"), '{"Name":"demo-web-1"}');
  assert.equal(
    run("{{json .Publishers}}"),
    '[{"URL":"127.0.0.1","TargetPort":8080,"PublishedPort":32787,"Protocol":"tcp"},{"URL":"0.0.0.0","TargetPort":8081,"PublishedPort":32768,"Protocol":"tcp"}]',
  );
  assert.equal(run("{{json .Publishers}}", row({ Publishers: new GoSlice("api.PortPublishers", [], true) })), "null");
  assert.equal(run("{{json .Name}}"), '"demo-web-1"');
  // The json function does not escape HTML (SetEscapeHTML(false)).
  assert.equal(run("{{json .Ports}}"), '"127.0.0.1:32787->8080/tcp"');
});

test("Go's printing of slices and structs", () => {
  assert.equal(run("{{.Publishers}}"), "[{127.0.0.1 8080 32787 tcp} {0.0.0.0 8081 32768 tcp}]");
  assert.equal(run("{{.Publishers}}", row({ Publishers: new GoSlice("api.PortPublishers", [], true) })), "[]");
  assert.equal(run("{{index .Publishers 0}}"), "{127.0.0.1 8080 32787 tcp}");
  refused("{{.}}", /printing a whole \*formatter.ContainerContext is not supported/);
});

test("range, if, else, else if", () => {
  assert.equal(run("{{range .Publishers}}{{.URL}}:{{.PublishedPort}} {{end}}"), "127.0.0.1:32787 0.0.0.0:32768 ");
  assert.equal(run("{{range .Publishers}}x{{else}}none{{end}}", row({ Publishers: new GoSlice("api.PortPublishers", [], true) })), "none");
  assert.equal(run("{{range .Publishers}}{{$.Name}}{{end}}"), "demo-web-1demo-web-1");
  assert.equal(run('{{if eq .State "running"}}up{{else}}down{{end}}'), "up");
  assert.equal(run('{{if eq .State "exited"}}a{{else if eq .State "running"}}b{{else}}c{{end}}'), "b");
  assert.equal(run("{{if .Health}}h{{else}}no health{{end}}"), "no health");
  assert.equal(run('{{if and .Name (ne .State "exited")}}ok{{end}}'), "ok");
  assert.equal(run("{{if not .ExitCode}}zero{{end}}"), "zero");
  assert.equal(run('{{if or .Health "fallback"}}{{or .Health "fallback"}}{{end}}'), "fallback");
  refused("{{range .Name}}x{{end}}", /range can't iterate over demo-web-1/);
});

test("the docker CLI's functions", () => {
  assert.equal(run("{{upper .Name}}"), "DEMO-WEB-1");
  assert.equal(run("{{lower .State}}"), "running");
  assert.equal(run("{{title .Service}}"), "Web");
  assert.equal(run('{{title "hello wide-world it\'s"}}'), "Hello Wide-World It'S");
  assert.equal(run("{{truncate .Name 4}}"), "demo");
  assert.equal(run("{{truncate .Name 40}}"), "demo-web-1");
  assert.equal(run("|{{pad .Name 1 2}}|"), "| demo-web-1  |");
  assert.equal(run('|{{pad .Health 1 2}}|'), "||");
  assert.equal(run('{{join (split .Labels ",") ";"}}'), "a=1;x=y");
  assert.equal(run('{{index (split .Labels ",") 1}}'), "x=y");
  assert.equal(run("{{.Name | upper}}"), "DEMO-WEB-1");
  assert.equal(run("{{.Labels | len}}"), "7");
  refused('{{join .Names ","}}', /wrong type for value; expected \[\]string; got string/);
  refused("{{upper .ExitCode}}", /expected string; got int/);
});

test("Go's builtins: len, index, comparisons, print, printf", () => {
  assert.equal(run("{{len .Publishers}}"), "2");
  assert.equal(run("{{len .Name}}"), "10");
  assert.equal(run("{{index .Name 0}}"), "100");
  assert.equal(run("{{(index .Publishers 1).PublishedPort}}"), "32768");
  assert.equal(run("{{eq .ExitCode 0}} {{ne .ExitCode 0}} {{lt 1 2}} {{ge .ExitCode 1}}"), "true false true false");
  assert.equal(run('{{eq .State "exited" "running"}}'), "true");
  assert.equal(run('{{print .Name " " .ExitCode}}'), "demo-web-1 0");
  assert.equal(run("{{print 1 2}}"), "1 2");
  assert.equal(run("{{println .Name}}"), "demo-web-1\n");
  assert.equal(run('{{printf "%-12s|%5d|%v|%q" .Name .ExitCode .State .Service}}'), 'demo-web-1  |    0|running|"web"');
  assert.equal(run('{{printf "100%%"}}'), "100%");
  refused('{{index .Labels "x"}}', /cannot index slice\/array with type string/);
  refused("{{index .Publishers 5}}", /index out of range: 5/);
  refused('{{eq .ExitCode "0"}}', /incompatible types for comparison/);
  refused('{{printf "%.2f" .ExitCode}}', /printf verb %\.2f is not supported/);
  refused('{{printf "%x" .ExitCode}}', /printf verb %x is not supported/);
});

test("trim markers and comments", () => {
  assert.equal(run("state: {{- .State}}"), "state:running");
  assert.equal(run("{{.Name -}}   \n  !"), "demo-web-1!");
  assert.equal(run("a {{/* a comment */}}b"), "a b");
  assert.equal(run("a {{- /* trimmed */ -}} b"), "ab");
  assert.equal(run("{{-3}}"), "-3");
});

test("unknown fields name the known ones", () => {
  refused("{{.Foo}}", /can't evaluate field Foo in type \*formatter.ContainerContext \(its fields: .*Name.*\)/);
  refused("{{.Name.Foo}}", /can't evaluate field Foo in type string/);
});

test("what the subset does not take is refused by name, when parsed", () => {
  const parseRefused = (template: string, part: RegExp) =>
    assert.throws(() => parseTemplate(template), (e: unknown) => e instanceof TemplateError && part.test(e.message), template);
  parseRefused("{{with .Name}}{{.}}{{end}}", /\{\{with\}\} is not supported/);
  parseRefused('{{define "x"}}{{end}}', /\{\{define\}\} is not supported/);
  parseRefused('{{template "x"}}', /\{\{template\}\} is not supported/);
  parseRefused("{{range .Publishers}}{{break}}{{end}}", /\{\{break\}\} is not supported/);
  parseRefused("{{$x := .Name}}{{$x}}", /variables are not supported: \$x/);
  parseRefused("{{range $i, $p := .Publishers}}{{end}}", /variables are not supported: \$i/);
  parseRefused("{{html .Name}}", /function "html" is not supported/);
  parseRefused("{{slice .Name 1 2}}", /function "slice" is not supported/);
  parseRefused("{{frobnicate .Name}}", /function "frobnicate" not defined/);
  parseRefused("{{.ExitCode | printf '%d'}}", /character literals are not supported/);
  parseRefused("{{eq .ExitCode 1.5}}", /number 1.5 is not supported/);
  parseRefused("{{nil}}", /nil is not supported/);
  parseRefused("{{.Name", /unclosed action/);
  parseRefused("{{if .Name}}x", /missing \{\{end\}\}/);
  parseRefused("x{{end}}", /unexpected \{\{end\}\}/);
  parseRefused("{{}}", /missing value for command/);
  parseRefused("{{.Name | }}", /missing command after \|/);
  parseRefused("{{(.Name}}", /unclosed left paren/);
  parseRefused('{{"a" | "b"}}', /cannot pipe into a literal/);
});

test("a refused template is a usage error (exit 2) naming the part and the format", () => {
  assert.throws(
    () => compileFormat("{{with .Name}}{{end}}", { table: "table {{.Name}}" }),
    (e: unknown) => e instanceof SlipwayError && e.kind === "usage" && e.exitCode === 2 && e.message.includes('--format "{{with .Name}}{{end}}"') && e.message.includes("{{with}}"),
  );
  const compiled = compileFormat("{{.Foo}}", { table: "table {{.Name}}" });
  assert.throws(
    () => renderFormat(compiled, [row()], headerContext({}), "{{.Foo}}"),
    (e: unknown) => e instanceof SlipwayError && e.exitCode === 2 && /can't evaluate field Foo/.test(e.message),
  );
});

test("format keys: table, table TEMPLATE, json, raw, TEMPLATE; \\t and \\n escapes; spaces trimmed", () => {
  const defaults = { table: "table {{.Name}}\t{{.State}}", raw: "name: {{.Name}}\n" };
  const header = headerContext({ Name: "NAME", State: "STATE" });
  const rows = [row(), row({ Name: "demo-worker-1", State: "exited" })];
  const render = (format: string) => renderFormat(compileFormat(format, defaults), rows, header, format);
  assert.equal(render("table"), "NAME            STATE\ndemo-web-1      running\ndemo-worker-1   exited\n");
  assert.equal(render(""), render("table"));
  assert.equal(render("table {{.Name}}\\t{{.Status}}"), "NAME            <no value>\ndemo-web-1      Up 3 seconds\ndemo-worker-1   Up 3 seconds\n");
  assert.equal(render("json"), '{"Name":"demo-web-1"}\n{"Name":"demo-web-1"}\n');
  assert.equal(render("raw"), "name: demo-web-1\n\nname: demo-worker-1\n\n");
  assert.equal(render("{{.Name}}\\t{{.State}}"), "demo-web-1\trunning\ndemo-worker-1\texited\n");
  assert.equal(render("  {{.Name}}  "), "demo-web-1\ndemo-worker-1\n");
  // `JSON` is not the json key (the docker CLI compares exactly): a template of plain text.
  assert.equal(render("JSON"), "JSON\nJSON\n");
  // No rows: a table is its header, anything else nothing.
  assert.equal(renderFormat(compileFormat("table", defaults), [], header, "table"), "NAME      STATE\n");
  assert.equal(renderFormat(compileFormat("json", defaults), [], header, "json"), "");
});

test("the table header: column names, <no value> for the others, Label's name, functions give back their text", () => {
  const header = headerContext({ Name: "NAME", Ports: "PORTS" });
  const h = (t: string) => executeHeader(parseTemplate(t), header);
  assert.equal(h("{{.Name}}\t{{.Health}}"), "NAME\t<no value>");
  assert.equal(h('{{.Label "com.example.some-label_x"}}'), "some label x");
  assert.equal(h("{{upper .Name}}|{{truncate .Ports 2}}|{{pad .Name 1 1}}"), "NAME|PORTS| NAME ");
  // An error ends the header where it happened (the docker CLI ignores it).
  assert.equal(h("{{.Name}} {{json .Publishers}} {{.Ports}}"), "NAME ");
});

test("tabwriter: Go's layout (cells end at tabs, minimum width, padding, blocks of lines)", () => {
  assert.equal(tabwrite("a\tbb\tc\nxxxx\ty\tz\n", { minWidth: 0, padding: 1 }), "a    bb c\nxxxx y  z\n");
  assert.equal(tabwrite("a\tb\n", { minWidth: 10, padding: 3 }), "a         b\n");
  // The last cell of a line is not in a column; an empty one still pads the cell before it.
  assert.equal(tabwrite("NAME\tPORTS\nx\t\n", { minWidth: 1, padding: 3 }), "NAME   PORTS\nx      \n");
  // A line with fewer cells ends the block: the lines after it are laid out on their own.
  assert.equal(tabwrite("aaaaaa\tb\nno tabs\nc\td\n", { minWidth: 0, padding: 1 }), "aaaaaa b\nno tabs\nc d\n");
  // Widths count characters, not bytes.
  assert.equal(tabwrite("é…\tx\nab\ty\n", { minWidth: 0, padding: 1 }), "é… x\nab y\n");
  // Rows with a trailing tab pad their last column; a header without it does not (compose's top).
  assert.equal(tabwrite("UID\tCMD\nroot\tsleep 1\t\n", { minWidth: 5, padding: 3 }), "UID    CMD\nroot   sleep 1   \n");
});

test("ls and images take table (or pretty, any case) and json only", () => {
  assert.equal(listFormat("table"), "table");
  assert.equal(listFormat("PRETTY"), "table");
  assert.equal(listFormat(""), "table");
  assert.equal(listFormat("JSON"), "json");
  assert.throws(() => listFormat("{{.Name}}"), (e: unknown) => e instanceof SlipwayError && e.exitCode === 2 && e.message === 'format value "{{.Name}}" could not be parsed: parsing failed');
});
