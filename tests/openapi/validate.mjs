// Validates an OpenAPI document (file given as argv[2]) against the official
// OpenAPI 3.1 JSON schema, using @seriousme/openapi-schema-validator.
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFileSync } from "node:fs";

const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
const validator = new Validator();
const result = await validator.validate(doc);
if (validator.version !== "3.1") {
  console.error(`expected an OpenAPI 3.1 document, got version ${validator.version}`);
  process.exit(1);
}
if (!result.valid) {
  console.error(JSON.stringify(result.errors, null, 2));
  process.exit(1);
}
console.log(`valid OpenAPI ${validator.version} document: ${Object.keys(doc.paths).length} paths`);
