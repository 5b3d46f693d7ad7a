// The OpenAPI 3.1 document served at GET /openapi.json. Kept as one JSON text
// so that what clients download is exactly what is reviewed here; the test
// parses it and checks that every route the handlers serve is described.
#include "functions/contacts_handlers.hpp"

namespace cloudlet::functions {

namespace {

// SigV4 has no OpenAPI security type; API Gateway exports IAM-authorised
// routes as this apiKey scheme with x-amazon-apigateway-authtype.
constexpr const char* kDocument = R"json({
  "openapi": "3.1.0",
  "info": {
    "title": "cloudlet contacts API",
    "version": "1.0.0",
    "description": "Contacts CRUD over PostgreSQL. Every route requires AWS Signature Version 4 (service execute-api). The seed-compatible routes (ANY /contacts_*) take their arguments in a JSON body and answer the seed's envelope; the resource routes answer contact objects and pages, and errors as {\"message\": ...}."
  },
  "servers": [{"url": "http://127.0.0.1:8080"}],
  "security": [{"sigv4": []}],
  "paths": {
    "/contacts": {
      "post": {
        "operationId": "createContact",
        "summary": "Create a contact",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ContactInput"}}}},
        "responses": {
          "201": {"description": "The created contact", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "409": {"$ref": "#/components/responses/UnknownCompany"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      },
      "get": {
        "operationId": "listContacts",
        "summary": "List contacts in (created_at, id) order",
        "description": "Pass next_cursor of the previous page as cursor for keyset paging, whose cost does not depend on the depth of the page; page numbers use OFFSET and get slower with depth.",
        "parameters": [
          {"$ref": "#/components/parameters/search"},
          {"$ref": "#/components/parameters/created_after"},
          {"$ref": "#/components/parameters/created_before"},
          {"$ref": "#/components/parameters/page"},
          {"$ref": "#/components/parameters/page_size"},
          {"$ref": "#/components/parameters/cursor"}
        ],
        "responses": {
          "200": {"description": "One page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ContactPage"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/contacts/{id}": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {
        "operationId": "getContact",
        "summary": "Get a contact",
        "responses": {
          "200": {"description": "The contact", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      },
      "put": {
        "operationId": "updateContact",
        "summary": "Replace a contact's fields",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ContactInput"}}}},
        "responses": {
          "200": {"description": "The contact as updated", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "409": {"$ref": "#/components/responses/UnknownCompany"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      },
      "delete": {
        "operationId": "deleteContact",
        "summary": "Delete a contact",
        "responses": {
          "200": {"description": "The contact as it was", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Contact"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/companies/{id}/contacts": {
      "parameters": [{"$ref": "#/components/parameters/id"}],
      "get": {
        "operationId": "listCompanyContacts",
        "summary": "List a company's contacts in (created_at, id) order",
        "parameters": [
          {"$ref": "#/components/parameters/page"},
          {"$ref": "#/components/parameters/page_size"},
          {"$ref": "#/components/parameters/cursor"}
        ],
        "responses": {
          "200": {"description": "One page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ContactPage"}}}},
          "400": {"$ref": "#/components/responses/BadRequest"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "500": {"$ref": "#/components/responses/Internal"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "getOpenApi",
        "summary": "This document",
        "responses": {"200": {"description": "The OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    },
    "/contacts_insert": {"post": {"operationId": "seedInsert", "summary": "Seed route (ANY method): insert", "requestBody": {"$ref": "#/components/requestBodies/SeedInsert"}, "responses": {"default": {"$ref": "#/components/responses/Seed"}}}},
    "/contacts_get_by_contact_id": {"post": {"operationId": "seedGetByContactId", "summary": "Seed route (ANY method): get by contact id", "requestBody": {"$ref": "#/components/requestBodies/SeedId"}, "responses": {"default": {"$ref": "#/components/responses/Seed"}}}},
    "/contacts_get_by_company_id": {"post": {"operationId": "seedGetByCompanyId", "summary": "Seed route (ANY method): contacts of a company, by id", "description": "At most 10000 contacts and 6291456 bytes; above that 400 ERROR_RESULT_TOO_LARGE: page with GET /companies/{id}/contacts.", "requestBody": {"$ref": "#/components/requestBodies/SeedCompanyId"}, "responses": {"default": {"$ref": "#/components/responses/Seed"}}}},
    "/contacts_update_by_contact_id": {"post": {"operationId": "seedUpdate", "summary": "Seed route (ANY method): update", "requestBody": {"$ref": "#/components/requestBodies/SeedUpdate"}, "responses": {"default": {"$ref": "#/components/responses/Seed"}}}},
    "/contacts_delete_by_contact_id": {"post": {"operationId": "seedDelete", "summary": "Seed route (ANY method): delete", "requestBody": {"$ref": "#/components/requestBodies/SeedId"}, "responses": {"default": {"$ref": "#/components/responses/Seed"}}}},
    "/contacts_get_by_dynamic_filter": {"post": {"operationId": "seedDynamicFilter", "summary": "Seed route (ANY method): dynamic filter", "description": "At most 10000 contacts and 6291456 bytes; above that 400 ERROR_RESULT_TOO_LARGE: page with contacts_get_by_pagination or GET /contacts?search=...&cursor=.", "requestBody": {"$ref": "#/components/requestBodies/SeedFilter"}, "responses": {"default": {"$ref": "#/components/responses/Seed"}}}},
    "/contacts_get_by_pagination": {"post": {"operationId": "seedPagination", "summary": "Seed route (ANY method): one page of the dynamic filter", "requestBody": {"$ref": "#/components/requestBodies/SeedPage"}, "responses": {"default": {"$ref": "#/components/responses/Seed"}}}}
  },
  "components": {
    "securitySchemes": {
      "sigv4": {"type": "apiKey", "name": "Authorization", "in": "header", "description": "AWS Signature Version 4, service execute-api", "x-amazon-apigateway-authtype": "awsSigv4"}
    },
    "parameters": {
      "id": {"name": "id", "in": "path", "required": true, "description": "Canonical decimal: digits only, no sign, no leading zeros (0 itself is fine), at most 2147483647. Any other spelling (01, +1, -0, ' 1') is 400, so that each id has one resource ARN for IAM policies.", "schema": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 2147483647}, "examples": {"canonical": {"value": 42}}},
      "search": {"name": "search", "in": "query", "description": "Case-insensitive literal substring of first name, last name, email or company name", "schema": {"type": "string", "maxLength": 255}},
      "created_after": {"name": "created_after", "in": "query", "description": "Exclusive lower bound: RFC 3339 or 2022.09.20 00:00:00 (UTC)", "schema": {"type": "string"}},
      "created_before": {"name": "created_before", "in": "query", "description": "Exclusive upper bound: RFC 3339 or 2022.09.20 00:00:00 (UTC)", "schema": {"type": "string"}},
      "page": {"name": "page", "in": "query", "description": "1-based page number (ignored with cursor); canonical decimal like id", "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2147483647, "default": 1}},
      "page_size": {"name": "page_size", "in": "query", "description": "Canonical decimal like id", "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 1000, "default": 20}},
      "cursor": {"name": "cursor", "in": "query", "description": "next_cursor of the previous page", "schema": {"type": "string"}}
    },
    "schemas": {
      "Contact": {
        "type": "object",
        "required": ["id", "company_id", "first_name", "last_name", "email", "created_at"],
        "properties": {
          "id": {"type": "integer"},
          "company_id": {"type": "integer"},
          "first_name": {"type": "string", "maxLength": 255},
          "last_name": {"type": "string", "maxLength": 255},
          "email": {"type": "string", "maxLength": 254},
          "created_at": {"type": "string", "format": "date-time", "examples": ["2026-11-28T05:17:19.123456Z"]}
        }
      },
      "ContactInput": {
        "type": "object",
        "required": ["company_id", "first_name", "last_name", "email"],
        "properties": {
          "company_id": {"type": "integer"},
          "first_name": {"type": "string", "minLength": 1, "maxLength": 255},
          "last_name": {"type": "string", "minLength": 1, "maxLength": 255},
          "email": {"type": "string", "minLength": 3, "maxLength": 254}
        },
        "examples": [{"company_id": 1, "first_name": "LeBron", "last_name": "James", "email": "lebron@anyemail.com"}]
      },
      "ContactPage": {
        "type": "object",
        "required": ["items", "page", "page_size", "next_cursor"],
        "properties": {
          "items": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}},
          "page": {"type": "integer", "minimum": 1},
          "page_size": {"type": "integer", "minimum": 1, "maximum": 1000},
          "next_cursor": {"type": ["string", "null"], "description": "null on the last page"}
        }
      },
      "Error": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
      "SeedFilter": {
        "type": "object",
        "properties": {
          "id": {"type": "integer", "description": "0 = any"},
          "search_text": {"type": "string", "maxLength": 255, "description": "\"\" = any"},
          "created_at_start": {"type": "string", "description": "exclusive; \"\" = no bound"},
          "created_at_finish": {"type": "string", "description": "exclusive; \"\" = no bound"}
        }
      },
      "SeedResponse": {
        "type": "object",
        "required": ["status_code", "status_message", "status_error", "contact", "contacts_list"],
        "properties": {
          "status_code": {"type": "integer"},
          "status_message": {"type": "string", "enum": ["RECORD_OK", "RECORD_NOT_FOUND", "ERROR_INVALID_INPUT", "ERROR_RESULT_TOO_LARGE", "ERROR_UNKNOWN_COMPANY", "ERROR_DATABASE_UNAVAILABLE", "ERROR_OUTCOME_UNKNOWN", "ERROR_INTERNAL"]},
          "status_error": {"type": "string"},
          "contact": {"oneOf": [{"$ref": "#/components/schemas/Contact"}, {"type": "null"}]},
          "contacts_list": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}}
        }
      }
    },
    "requestBodies": {
      "SeedInsert": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ContactInput"}}}},
      "SeedId": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}, "examples": {"seed": {"value": {"id": 3}}}}}},
      "SeedCompanyId": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["company_id"], "properties": {"company_id": {"type": "integer"}}}}}},
      "SeedUpdate": {"required": true, "content": {"application/json": {"schema": {"allOf": [{"$ref": "#/components/schemas/ContactInput"}, {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}]}}}},
      "SeedFilter": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SeedFilter"}}}},
      "SeedPage": {"required": true, "content": {"application/json": {"schema": {"allOf": [{"$ref": "#/components/schemas/SeedFilter"}, {"type": "object", "required": ["page_number", "page_size"], "properties": {"page_number": {"type": "integer", "minimum": 1}, "page_size": {"type": "integer", "minimum": 1, "maximum": 1000}}}]}, "examples": {"seed": {"value": {"id": 0, "search_text": "amazon", "created_at_start": "", "created_at_finish": "", "page_number": 1, "page_size": 5}}}}}}
    },
    "responses": {
      "BadRequest": {"description": "Invalid input; the message names the field", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "NotFound": {"description": "No such contact or company", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}, "example": {"message": "Not Found"}}}},
      "UnknownCompany": {"description": "company_id names no company", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Unavailable": {"description": "The database is unavailable and nothing was changed; retry later", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Internal": {"description": "Unexpected failure; or, for POST, PUT and DELETE, 'The outcome is unknown: ...': the change may or may not have been applied, so read before retrying", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
      "Seed": {"description": "The seed's envelope; the HTTP status equals status_code (200/201 RECORD_OK, 404 RECORD_NOT_FOUND, 400 ERROR_INVALID_INPUT, 400 ERROR_RESULT_TOO_LARGE when contacts_get_by_company_id or contacts_get_by_dynamic_filter would answer more than 10000 contacts or more than 6291456 bytes (page instead), 409 ERROR_UNKNOWN_COMPANY, 503 ERROR_DATABASE_UNAVAILABLE (nothing was changed; retry later), 500 ERROR_OUTCOME_UNKNOWN (a write may or may not have been applied; read before retrying), 500 ERROR_INTERNAL)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SeedResponse"}}}}
    }
  }
})json";

}  // namespace

const std::string& openapi_document() {
  static const std::string doc(kDocument);
  return doc;
}

}  // namespace cloudlet::functions
