/** The one piece of logic, kept apart from the server so the unit tests need no port. */
export function greeting(name, version) {
  const who = typeof name === "string" && name.trim() ? name.trim() : "world";
  return `hello, ${who} (greeter ${version})`;
}
