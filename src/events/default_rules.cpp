#include "events/default_rules.hpp"

#include <array>
#include <boost/json/serialize.hpp>

namespace cloudlet::events {

namespace json = boost::json;

namespace {

TargetRecord usermgmt_target(const std::string& id, const std::string& host, std::uint16_t port,
                             const std::string& region, const std::string& account) {
  TargetRecord t;
  t.id = id;
  t.arn = "arn:cloudlet:usermgmt:" + region + ":" + account + ":server/" + host + ":" +
          std::to_string(port);
  t.spec_json = json::serialize(json::object{{"Id", t.id}, {"Arn", t.arn}});
  return t;
}

}  // namespace

std::vector<DefaultRule> seed_rules(const std::string& host, std::uint16_t base_port,
                                    const std::string& region, const std::string& account) {
  static constexpr std::array<const char*, 4> kStores = {"op1_no_persistence", "op2_in_memory",
                                                         "op3_json_file", "op4_db_postgres"};
  std::vector<DefaultRule> out;
  for (std::size_t i = 0; i < kStores.size(); ++i) {
    const std::string name = std::string("trigger_usermgmt_") + kStores[i];
    DefaultRule r;
    r.rule.bus = "default";
    r.rule.name = name;
    r.rule.event_pattern =
        R"({"source":["com.srcecde.app"],"detail-type":["sampledata"],"detail":{"name":[")" + name +
        R"("]}})";
    r.rule.description = "cloudlet default: the seed's rule for the " + std::string(kStores[i]) +
                         " UserManagement store";
    r.targets.push_back(usermgmt_target("usermgmt", host, static_cast<std::uint16_t>(base_port + i),
                                        region, account));
    out.push_back(std::move(r));
  }
  DefaultRule every_minute;
  every_minute.rule.bus = "default";
  every_minute.rule.name = "trigger_usermgmt_every_minute";
  every_minute.rule.schedule_expression = "cron(* * * * ? *)";
  every_minute.rule.state = "DISABLED";
  every_minute.rule.description =
      "cloudlet default: the seed's schedule, Alice and Bob in the postgres store every minute";
  every_minute.targets.push_back(usermgmt_target(
      "usermgmt", host, static_cast<std::uint16_t>(base_port + 3), region, account));
  out.push_back(std::move(every_minute));
  return out;
}

Result<std::vector<std::string>> ensure_rules(EventStore& store,
                                              const std::vector<DefaultRule>& rules) {
  std::vector<std::string> created;
  for (const auto& r : rules) {
    auto found = store.find_rule(r.rule.bus, r.rule.name);
    if (!found.ok()) return found.error();
    if (found->has_value()) continue;
    auto put = store.put_rule(r.rule, 1 << 30);
    if (!put.ok()) return put.error();
    if (Status s = store.put_targets(r.rule.bus, r.rule.name, r.targets, 1 << 30); !s.ok())
      return s.error();
    created.push_back(r.rule.name);
  }
  return created;
}

}  // namespace cloudlet::events
