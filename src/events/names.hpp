// Names and ARNs of the event bus's resources (spec §4): which strings are
// valid bus, rule and target names, how an `EventBusName` (a name or a bus
// ARN) resolves, and the ARNs AWS gives buses and rules.
//
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cloudlet::events {

inline constexpr std::string_view kDefaultBus = "default";

// The model's patterns, as AWS's constraint messages quote them.
inline constexpr std::string_view kRuleNamePattern = "[\\.\\-_A-Za-z0-9]+";
inline constexpr std::string_view kTargetIdPattern = "[\\.\\-_A-Za-z0-9]+";
inline constexpr std::string_view kBusNamePattern = "[/\\.\\-_A-Za-z0-9]+";
inline constexpr std::string_view kBusNameOrArnPattern =
    "(arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+";
inline constexpr std::size_t kMaxRuleNameLength = 64;
inline constexpr std::size_t kMaxTargetIdLength = 64;
inline constexpr std::size_t kMaxBusNameLength = 256;
inline constexpr std::size_t kMaxBusNameOrArnLength = 1600;

// 1-64 characters of [.-_A-Za-z0-9] (rule names and target ids).
bool valid_rule_name(std::string_view name);
// Characters of [/.-_A-Za-z0-9] (length checked apart).
bool valid_bus_name_chars(std::string_view name);

// The bus an `EventBusName` member names: the member itself, or the name
// part of an event-bus ARN; nullopt (absent) is the default bus. nullopt
// when it is neither a valid name nor a bus ARN (the caller reports the
// pattern constraint). The ARN's region and account are not checked against
// ours [unconfirmed: AWS refuses a foreign account's bus with its own error].
std::optional<std::string> resolve_bus_name(std::optional<std::string_view> name_or_arn);

// arn:aws:events:<region>:<account>:event-bus/<bus>
std::string bus_arn(std::string_view region, std::string_view account, std::string_view bus);
// arn:aws:events:<region>:<account>:rule/<rule> on the default bus,
// rule/<bus>/<rule> on a custom one.
std::string rule_arn(std::string_view region, std::string_view account, std::string_view bus,
                     std::string_view rule);

}  // namespace cloudlet::events
