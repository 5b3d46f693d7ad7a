#include "events/ingest.hpp"

#include <boost/json/parse.hpp>

#include "core/uuid.hpp"

namespace cloudlet::events {

EventIngest::EventIngest(ApiSettings settings, std::shared_ptr<pg::Pool> pool)
    : pool_(std::move(pool)),
      store_(*pool_),
      appender_(store_),
      api_(std::move(settings), store_, appender_, [] { return random_uuid(); }) {}

std::pair<unsigned, std::string> EventIngest::put_events(const std::string& request_json) const {
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(request_json, ec);
  if (ec || !body.is_object()) {
    ApiReply r = error_reply(error_type::kSerialization, "The request body is not a JSON object.");
    return {r.status, r.body};
  }
  ApiReply reply = api_.call("PutEvents", body.get_object(), {std::chrono::system_clock::now()});
  return {reply.status, std::move(reply.body)};
}

}  // namespace cloudlet::events
