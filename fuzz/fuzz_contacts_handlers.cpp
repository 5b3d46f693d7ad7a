// The contacts functions' request decoding (src/functions/contacts_handlers.hpp):
// the seven seed handlers' JSON bodies (plain and base64-flagged), the
// resource API's method, path, path parameters and query string (page,
// page_size, search, dates, cursor), and the API Gateway event JSON
// (functions::proxy_event_from_json, src/functions/proxy_json.hpp). Also
// functions::parse_timestamp and decode_cursor on the raw input.
//
// Input: the body; or, when the first line is a request line `METHOD /target`
// (matched against the default routes, and the event built, as the gateway
// does), that line and then the body. Without a request line the body goes
// to `POST /contacts` and `PUT /contacts/1`. Every seed handler gets the
// body, and the whole input is also tried as an event JSON.
//
// The repository is a tiny fake (fixed rows, not found, one unavailable id):
// the target fuzzes decoding, not storage.
//
// Invariants: no handler answers 500 (with this repository only input can
// go wrong, and input errors are 4xx); every status is 2xx, 4xx or 503 and
// every JSON response body parses; the event JSON, written back, reads back
// to the same JSON; timestamps and cursors that decode re-encode to
// themselves.
#include <algorithm>
#include <boost/json.hpp>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "functions/contacts.hpp"
#include "functions/contacts_handlers.hpp"
#include "functions/proxy.hpp"
#include "functions/proxy_json.hpp"
#include "fuzz_support.hpp"
#include "gateway/event.hpp"
#include "gateway/routes.hpp"

namespace {

using namespace cloudlet;
using namespace cloudlet::functions;

constexpr std::int32_t kUnavailableId = 7;

// Written against src/functions/contacts.hpp's ContactsRepository as it is.
class FakeRepository final : public ContactsRepository {
 public:
  FakeRepository() {
    const Timestamp t = *parse_timestamp("2022-09-21T10:00:00Z");
    rows_ = {{1, 1, "Adele", "Thompson", "adele.thompson@anyemail.com", t},
             {2, 1, "Blair", "Rampsey", "blair.rampsey@anyemail.com", t},
             {3, 2, "Pearl", "Gales", "pearl.gales@anyemail.com", t}};
  }

  Result<Contact> insert(const ContactFields& f) override {
    if (f.company_id == kUnavailableId) return Error::unavailable("down");
    if (f.company_id != 1 && f.company_id != 2) {
      return Error{ErrorCode::kFailedPrecondition, "fk", "23503"};
    }
    return Contact{4, f.company_id, f.first_name, f.last_name, f.email, rows_[0].created_at};
  }
  Result<Contact> get(std::int32_t id) override { return find(id); }
  Result<std::vector<Contact>> by_company(std::int32_t company_id, std::int32_t max_rows) override {
    FUZZ_CHECK(max_rows >= 1);
    if (company_id == kUnavailableId) return Error::unavailable("down");
    std::vector<Contact> out;
    for (const auto& c : rows_) {
      if (c.company_id == company_id && std::ssize(out) < max_rows) out.push_back(c);
    }
    return out;
  }
  Result<Contact> update(std::int32_t id, const ContactFields& f) override {
    auto c = find(id);
    if (!c.ok()) return c;
    if (f.company_id != 1 && f.company_id != 2) {
      return Error{ErrorCode::kFailedPrecondition, "fk", "23503"};
    }
    return Contact{id, f.company_id, f.first_name, f.last_name, f.email, c->created_at};
  }
  Result<Contact> remove(std::int32_t id) override { return find(id); }
  Result<std::vector<Contact>> filter(const ContactFilter& f, std::int32_t max_rows) override {
    FUZZ_CHECK(max_rows >= 1);
    if (f.contact_id == kUnavailableId) return Error::unavailable("down");
    return first(static_cast<std::size_t>(max_rows));
  }
  Result<std::vector<Contact>> page(const ContactFilter& f, std::int32_t page_number,
                                    std::int32_t page_size) override {
    FUZZ_CHECK(page_number >= 1 && page_size >= 1 && page_size <= kMaxPageSize);
    if (f.contact_id == kUnavailableId) return Error::unavailable("down");
    return page_number == 1 ? first(static_cast<std::size_t>(page_size)) : std::vector<Contact>{};
  }
  Result<std::vector<Contact>> list(const ListQuery& q) override {
    FUZZ_CHECK(q.limit >= 1 && q.limit <= kMaxPageSize + 1 && q.offset >= 0);
    if (q.company_id == kUnavailableId) return Error::unavailable("down");
    if (q.company_id && *q.company_id != 1 && *q.company_id != 2) {
      return Error::not_found("company");
    }
    return first(static_cast<std::size_t>(q.limit));
  }

 private:
  Result<Contact> find(std::int32_t id) {
    if (id == kUnavailableId) return Error::unavailable("down");
    for (const auto& c : rows_) {
      if (c.id == id) return c;
    }
    return Error::not_found("no such contact");
  }
  std::vector<Contact> first(std::size_t n) const {
    return {rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(std::min(n, rows_.size()))};
  }
  std::vector<Contact> rows_;
};

void check_response(const ProxyResponse& r) {
  FUZZ_CHECK(r.status_code != 500);
  FUZZ_CHECK((r.status_code >= 200 && r.status_code < 300) ||
             (r.status_code >= 400 && r.status_code < 500) || r.status_code == 503);
  auto ct = r.headers.find("content-type");
  if (ct != r.headers.end() && ct->second.starts_with("application/json")) {
    boost::system::error_code ec;
    (void)boost::json::parse(r.body, ec);
    FUZZ_CHECK(!ec);
  }
}

// The functions by name, exactly as the gateway gets them.
const std::map<std::string, Handler>& functions_of(std::shared_ptr<ContactsRepository> repo) {
  static const std::map<std::string, Handler> fns = contacts_functions(std::move(repo));
  return fns;
}

// The seed's seven: every function but the resource API and its document.
bool is_seed(const std::string& name) {
  return name != "contacts_api" && name != "contacts_openapi";
}

// `METHOD /target` of a request line, or nullopt.
std::optional<std::pair<std::string_view, std::string_view>> request_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::string_view method = fuzz::cut(line, ' ');
  const std::string_view target = fuzz::cut(line, ' ');
  if (method.empty() ||
      method.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos ||
      !target.starts_with('/')) {
    return std::nullopt;
  }
  return std::pair(method, target);
}

// The resource API, with the event built by the gateway's own code.
void resource_api(const std::map<std::string, Handler>& fns, std::string_view method,
                  std::string_view raw_target, std::string_view body) {
  static const auto routes =
      std::move(*gateway::RouteTable::compile(gateway::default_routes_json()));
  auto target = fuzz::checked_parse_target(raw_target);
  if (!target) return;
  auto match = routes->match(method, target->path);
  if (!match) return;
  const std::vector<auth::HeaderField> headers = {{"content-type", "application/json"},
                                                  {"host", "127.0.0.1:8080"}};
  gateway::IncomingRequest in{method,
                              target->path,
                              target->query,
                              headers,
                              std::string(body),
                              "127.0.0.1",
                              "JKJaXmPLvHcESHA=",
                              {}};
  ProxyEvent e = gateway::build_event(in, *match, nullptr, "000000000000", "cloudlet");
  auto fn = fns.find(match->route->integration->function_name);
  if (fn != fns.end()) check_response(fn->second(e));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto repo = std::make_shared<FakeRepository>();
  const auto& fns = functions_of(repo);
  const std::string_view input = fuzz::bytes(data, size);

  std::string_view body = input;
  const auto line = request_line(fuzz::cut(body, '\n'));
  if (line) {
    resource_api(fns, line->first, line->second, body);
  } else {
    body = input;
    resource_api(fns, "POST", "/contacts", body);
    resource_api(fns, "PUT", "/contacts/1", body);
  }

  // The seed functions: the body as JSON, and flagged base64.
  for (int base64 = 0; base64 < 2; ++base64) {
    for (const auto& [name, handler] : fns) {
      if (!is_seed(name)) continue;
      ProxyEvent e;
      e.route_key = std::string("ANY /") + name;
      e.raw_path = std::string("/") + name;
      e.request_context.http_method = "POST";
      e.headers["content-type"] = "application/json";
      e.body = std::string(body);
      e.is_base64_encoded = base64 == 1;
      check_response(handler(e));
    }
  }

  // A Lambda event as API Gateway sends it.
  if (auto event = proxy_event_from_json(input); event.ok()) {
    const std::string json = proxy_event_to_json(*event);
    auto back = proxy_event_from_json(json);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(proxy_event_to_json(*back) == json);
    check_response(contacts_api(*event, *repo));
  } else {
    FUZZ_CHECK(event.error().code == ErrorCode::kInvalidArgument);
  }

  if (auto t = parse_timestamp(input)) FUZZ_CHECK(parse_timestamp(format_timestamp(*t)) == *t);
  if (auto c = decode_cursor(input)) FUZZ_CHECK(decode_cursor(encode_cursor(*c)) == *c);
  return 0;
}
