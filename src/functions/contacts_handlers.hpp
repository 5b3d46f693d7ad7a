// The contacts functions: pure handlers from a proxy event (payload 2.0) to a
// proxy response, doing their work only through a ContactsRepository.
//
// Two APIs over the same repository (ARCHITECTURE.md, "HTTP API"):
// - the seed's seven functions, one route each (`ANY /contacts_insert`, ...),
//   arguments in a JSON body, answering the seed's envelope
//   {"status_code","status_message","status_error","contact","contacts_list"}
//   with the HTTP status equal to status_code;
// - a resource API (`contacts_api`: POST/GET /contacts, GET/PUT/DELETE
//   /contacts/{id}, GET /companies/{id}/contacts) answering plain contact
//   objects, pages {"items","page","page_size","next_cursor"} and errors
//   {"message"}, described by the OpenAPI 3.1 document `openapi_document()`.
//
// Every handler parses its input once into a typed request or answers 400,
// never throws, and never puts SQL, SQLSTATE text or connection details in a
// response. Handlers block while the repository does: call them off the I/O
// threads. They are safe to call concurrently if the repository is.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "functions/contacts.hpp"
#include "functions/proxy.hpp"

namespace cloudlet::functions {

// The seed's functions.
ProxyResponse contacts_insert(const ProxyEvent& event, ContactsRepository& repo);
ProxyResponse contacts_get_by_contact_id(const ProxyEvent& event, ContactsRepository& repo);
ProxyResponse contacts_get_by_company_id(const ProxyEvent& event, ContactsRepository& repo);
ProxyResponse contacts_update_by_contact_id(const ProxyEvent& event, ContactsRepository& repo);
ProxyResponse contacts_delete_by_contact_id(const ProxyEvent& event, ContactsRepository& repo);
ProxyResponse contacts_get_by_dynamic_filter(const ProxyEvent& event, ContactsRepository& repo);
ProxyResponse contacts_get_by_pagination(const ProxyEvent& event, ContactsRepository& repo);

// The resource API. Dispatches on the HTTP method (request_context.http_method,
// else the method of route_key) and the concrete path (raw_path), so it
// serves both a routes file with one route per resource route and a single
// catch-all route. Unknown method/path pairs get 404 {"message":"Not Found"}.
// Also serves GET /openapi.json.
ProxyResponse contacts_api(const ProxyEvent& event, ContactsRepository& repo);

// GET /openapi.json: the OpenAPI 3.1 document of both APIs.
ProxyResponse contacts_openapi(const ProxyEvent& event);
const std::string& openapi_document();

// Every function above by the name a routes file uses as its integration
// target: the seven seed names, "contacts_api" and "contacts_openapi".
// The handlers share `repo`.
std::map<std::string, Handler> contacts_functions(std::shared_ptr<ContactsRepository> repo);

}  // namespace cloudlet::functions
