#include "usermgmt/handler.hpp"

#include <charconv>

namespace cloudlet::usermgmt {

namespace {

::usermgmt::User to_proto(const User& user) {
  ::usermgmt::User out;
  out.set_name(user.name);
  out.set_age(user.age);
  out.set_id(user.id);
  return out;
}

Status check_id(std::int32_t id) {
  if (id <= 0)
    return Error::invalid_argument("id must be a positive integer, got " + std::to_string(id));
  return {};
}

constexpr std::string_view kTokenPrefix = "after:";

}  // namespace

std::string encode_page_token(std::int32_t after_id) {
  return std::string(kTokenPrefix) + std::to_string(after_id);
}

Result<std::int32_t> decode_page_token(const std::string& token) {
  auto bad = Error::invalid_argument("page_token is not a token this server issued");
  std::string_view s(token);
  if (!s.starts_with(kTokenPrefix)) return bad;
  s.remove_prefix(kTokenPrefix.size());
  std::int32_t id = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || end != s.data() + s.size() || id <= 0) return bad;
  return id;
}

Result<::usermgmt::User> Handler::create_new_user(const ::usermgmt::NewUser& request) {
  auto valid = validate(request.name(), request.age());
  if (!valid.ok()) return valid.error();
  auto created = store_.create(*valid);
  if (!created.ok()) return created.error();
  return to_proto(*created);
}

Result<::usermgmt::UsersList> Handler::get_users(const ::usermgmt::GetUsersParams& request) {
  UserQuery query;
  query.name = request.name();
  query.name_match = request.name_match() == ::usermgmt::NAME_MATCH_PREFIX ? NameMatch::kPrefix
                                                                           : NameMatch::kExact;
  if (request.name_match() != ::usermgmt::NAME_MATCH_EXACT &&
      request.name_match() != ::usermgmt::NAME_MATCH_PREFIX) {
    return Error::invalid_argument("name_match " + std::to_string(request.name_match()) +
                                   " is not a known value");
  }
  if (request.age() < 0 || request.age() > kMaxAge) {
    return Error::invalid_argument("age filter must be between 0 (any) and " +
                                   std::to_string(kMaxAge));
  }
  if (request.age() != 0) query.age = request.age();
  if (request.page_size() < 0) return Error::invalid_argument("page_size must not be negative");
  if (!request.page_token().empty()) {
    auto after = decode_page_token(request.page_token());
    if (!after.ok()) return after.error();
    query.after_id = *after;
  }
  std::size_t page = 0;
  if (request.page_size() > 0) {
    page = static_cast<std::size_t>(std::min(request.page_size(), kMaxPageSize));
    query.limit = page + 1;  // one more than asked tells whether another page exists
  }
  auto users = store_.list(query);
  if (!users.ok()) return users.error();
  ::usermgmt::UsersList out;
  bool more = page != 0 && users->size() > page;
  if (more) users->resize(page);
  for (const auto& u : *users) *out.add_users() = to_proto(u);
  if (more) out.set_next_page_token(encode_page_token(users->back().id));
  return out;
}

Result<::usermgmt::User> Handler::get_user(const ::usermgmt::GetUserRequest& request) {
  if (Status s = check_id(request.id()); !s.ok()) return s.error();
  auto user = store_.get(request.id());
  if (!user.ok()) return user.error();
  return to_proto(*user);
}

Result<::usermgmt::User> Handler::delete_user(const ::usermgmt::DeleteUserRequest& request) {
  if (Status s = check_id(request.id()); !s.ok()) return s.error();
  auto user = store_.remove(request.id());
  if (!user.ok()) return user.error();
  return to_proto(*user);
}

}  // namespace cloudlet::usermgmt
