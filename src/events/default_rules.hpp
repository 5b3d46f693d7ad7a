// The seed's rules, which `cloudlet up` creates when they are missing
// (events.default_rules, on by default): for each UserManagement store X in
// op1_no_persistence, op2_in_memory, op3_json_file, op4_db_postgres, the
// pattern rule `trigger_usermgmt_X`
//
//   {"source":["com.srcecde.app"],"detail-type":["sampledata"],
//    "detail":{"name":["trigger_usermgmt_X"]}}
//
// with one target, the built-in gRPC target on that store's server (so it
// creates Alice and Bob there); and `trigger_usermgmt_every_minute`, the
// seed's `cron(* * * * ? *)` schedule doing the same on the postgres store,
// shipped DISABLED (`aws events enable-rule --name
// trigger_usermgmt_every_minute` turns it on). A rule that exists is left as
// the operator made it: disabling or changing one survives restarts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "events/store.hpp"

namespace cloudlet::events {

struct DefaultRule {
  RuleRecord rule;
  std::vector<TargetRecord> targets;
};

// Pure. `host` and `base_port`: where the four UserManagement servers listen
// (none, memory, json, postgres at base_port + 0..3).
std::vector<DefaultRule> seed_rules(const std::string& host, std::uint16_t base_port,
                                    const std::string& region, const std::string& account);

// Creates each rule that does not exist yet, with its targets; returns the
// names created.
Result<std::vector<std::string>> ensure_rules(EventStore& store,
                                              const std::vector<DefaultRule>& rules);

}  // namespace cloudlet::events
