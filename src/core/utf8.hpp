// UTF-8 checks for text that must be valid before it goes into JSON (a
// JSON string is Unicode text; Boost.JSON serialises invalid bytes as they
// are, and no parser reads them back).
//
// Validity is RFC 3629's: no overlong forms, no surrogates (U+D800..DFFF),
// nothing above U+10FFFF. Pure; no allocation but the result string.
#pragma once

#include <string>
#include <string_view>

namespace cloudlet::utf8 {

bool valid(std::string_view text);

// `text` with each run of bytes that belong to no valid sequence replaced by
// one U+FFFD; `text` unchanged when it is valid.
std::string sanitize(std::string_view text);

}  // namespace cloudlet::utf8
