// Validates an OpenAPI document with @apidevtools/swagger-parser (the OpenAPI 3.1 schema, then
// its own checks: unique operationIds, path parameters declared, $refs that resolve).
// Usage: node validate.mjs docs/openapi.json. Exit code 0 when valid, 1 with the reasons.
import SwaggerParser from "@apidevtools/swagger-parser";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate.mjs OPENAPI.json");
  process.exit(2);
}
try {
  const api = await SwaggerParser.validate(file);
  const paths = Object.keys(api.paths ?? {}).length;
  console.log(`${file}: valid OpenAPI ${api.openapi} (${paths} paths)`);
} catch (err) {
  console.error(`${file}: invalid: ${err.message}`);
  process.exit(1);
}
