// Both matchers share two steps: flattening the event into leaves, and the
// per-alternative decision (every field satisfied, with leaves that respect
// array consistency). They differ in how a leaf finds the conditions it
// satisfies: matches() tests each condition of the pattern; the Matcher
// looks the leaf up in per-path indexes. The fuzz target and the tests hold
// the two against each other.
//
// Flattening. The event is walked once; a member is entered only when its
// dot-joined path is named by some pattern or is a prefix (at a dot) of one,
// so the parts of the event no pattern mentions cost only the parse. Each
// scalar at a named path becomes a Leaf carrying its "trail": the (array
// instance, element index) pairs on its way down. Two leaves may be used
// together only when they agree on the element of every array they share
// (spec §2.3, array consistency); since arrays nest as a tree, shared arrays
// form a common prefix of the two trails.
#include "events/matcher.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>

namespace cloudlet::events {

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

enum class LeafType : std::uint8_t { kString, kNumber, kTrue, kFalse, kNull };

struct Leaf {
  std::uint32_t path = 0;
  LeafType type = LeafType::kNull;
  std::string_view text;  // into the parser's buffer
  double number = 0;
  std::uint32_t trail_begin = 0, trail_end = 0;
};

struct ArrayStep {
  std::uint32_t array = 0, index = 0;
};

// Which event paths to read, as a trie of the dot-separated segments of
// every named path: an event member is entered only when its key (split at
// its dots the same way) leads on from the current node, so the walk costs
// a few short compares per member instead of hashing whole paths. Splitting
// both sides at every dot is what makes `"a.b"` and `"a":{"b"}` one path.
struct PathTable {
  static constexpr std::uint32_t kNone = UINT32_MAX;
  struct Node {
    std::vector<std::pair<std::string, std::uint32_t>> children;
    StringMap<std::uint32_t> child_map;  // filled once a node has many children
    std::uint32_t path_id = kNone;
  };
  static constexpr std::size_t kLinearChildren = 8;

  StringMap<std::uint32_t> ids;
  std::vector<Node> nodes{1};  // nodes[0]: the event's top level

  std::uint32_t child(std::uint32_t node, std::string_view segment) const {
    const Node& n = nodes[node];
    if (n.children.size() > kLinearChildren) {
      const auto it = n.child_map.find(segment);
      return it == n.child_map.end() ? kNone : it->second;
    }
    for (const auto& [key, index] : n.children) {
      if (key == segment) return index;
    }
    return kNone;
  }

  // The node a member key leads to from `node`, or kNone.
  std::uint32_t walk(std::uint32_t node, std::string_view key) const {
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = key.find('.', start);
      node = child(node, key.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (node == kNone || dot == std::string_view::npos) return node;
      start = dot + 1;
    }
  }

  std::uint32_t intern(const std::string& path) {
    auto [it, inserted] = ids.emplace(path, static_cast<std::uint32_t>(ids.size()));
    if (!inserted) return it->second;
    std::uint32_t node = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = path.find('.', start);
      const std::string segment =
          path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      std::uint32_t next = child(node, segment);
      if (next == kNone) {
        next = static_cast<std::uint32_t>(nodes.size());
        nodes.emplace_back();
        Node& n = nodes[node];
        n.children.emplace_back(segment, next);
        if (n.children.size() > kLinearChildren) {
          for (const auto& [key, index] : n.children) n.child_map.emplace(key, index);
        }
      }
      node = next;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    nodes[node].path_id = it->second;
    return it->second;
  }
};

double normalized(double x) { return x + 0.0; }  // -0 and 0 are one key

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool in_range(const NumericRange& r, double x) {
  if (r.has_low && (r.low_inclusive ? x < r.low : x <= r.low)) return false;
  if (r.has_high && (r.high_inclusive ? x > r.high : x >= r.high)) return false;
  return true;
}

bool anything_but_matches(const Condition& c, const Leaf& leaf) {
  const bool is_string = leaf.type == LeafType::kString;
  switch (c.but_kind) {
    case AnythingButKind::kStrings:
      return !is_string ||
             std::find(c.strings.begin(), c.strings.end(), leaf.text) == c.strings.end();
    case AnythingButKind::kNumbers:
      return leaf.type != LeafType::kNumber ||
             std::find(c.numbers.begin(), c.numbers.end(), leaf.number) == c.numbers.end();
    case AnythingButKind::kPrefixes:
      return !is_string || std::none_of(c.strings.begin(), c.strings.end(),
                                        [&](auto& p) { return starts_with(leaf.text, p); });
    case AnythingButKind::kSuffixes:
      return !is_string || std::none_of(c.strings.begin(), c.strings.end(),
                                        [&](auto& p) { return ends_with(leaf.text, p); });
    case AnythingButKind::kIgnoreCase: {
      if (!is_string) return true;
      const std::string folded = fold_case(leaf.text);
      return std::find(c.strings.begin(), c.strings.end(), folded) == c.strings.end();
    }
    case AnythingButKind::kWildcards:
      return !is_string || std::none_of(c.wildcards.begin(), c.wildcards.end(),
                                        [&](auto& w) { return wildcard_matches(w, leaf.text); });
  }
  return false;
}

bool condition_matches(const Condition& c, const Leaf& leaf) {
  const bool is_string = leaf.type == LeafType::kString;
  switch (c.op) {
    case Op::kExactString:
      return is_string && leaf.text == c.text;
    case Op::kExactNumber:
      return leaf.type == LeafType::kNumber && leaf.number == c.number;
    case Op::kNull:
      return leaf.type == LeafType::kNull;
    case Op::kTrue:
      return leaf.type == LeafType::kTrue;
    case Op::kFalse:
      return leaf.type == LeafType::kFalse;
    case Op::kPrefix:
      return is_string && starts_with(leaf.text, c.text);
    case Op::kPrefixIgnoreCase:
      return is_string && starts_with(fold_case(leaf.text), c.text);
    case Op::kSuffix:
      return is_string && ends_with(leaf.text, c.text);
    case Op::kSuffixIgnoreCase:
      return is_string && ends_with(fold_case(leaf.text), c.text);
    case Op::kEqualsIgnoreCase:
      return is_string && fold_case(leaf.text) == c.text;
    case Op::kWildcard:
      return is_string && wildcard_matches(c.wildcard, leaf.text);
    case Op::kNumeric:
      return leaf.type == LeafType::kNumber && in_range(c.range, leaf.number);
    case Op::kExistsTrue:
      return true;
    case Op::kExistsFalse:
      return false;
    case Op::kCidr:
      return is_string && cidr_contains(c.cidr, leaf.text);
    case Op::kAnythingBut:
      return anything_but_matches(c, leaf);
  }
  return false;
}

}  // namespace

// --- scratch and flattening ---------------------------------------------------

struct MatchScratch::Impl {
  simdjson::dom::parser parser;
  std::vector<Leaf> leaves;
  std::vector<ArrayStep> trails;
  std::vector<ArrayStep> trail;  // the current walk's
  std::uint32_t arrays = 0;
  // Matcher::match
  std::vector<std::uint32_t> gate_hits;               // alternatives
  std::vector<std::uint32_t> range_begin, range_end;  // leaves by path id
  std::string folded;
  // the consistency search
  std::vector<const std::uint32_t*> choice_begin, choice_end;
  std::vector<std::uint32_t> chosen;
  std::vector<std::uint32_t> candidates;
  std::vector<std::uint32_t> candidate_offsets;

  // Spec §1.2: events nest up to 1100 levels. A failed allocation leaves
  // the parser empty; parse() then allocates (with the default depth).
  Impl() {
    if (parser.allocate(4096, 1200) != simdjson::SUCCESS) parser = simdjson::dom::parser();
  }

  void flatten_value(const PathTable& paths, simdjson::dom::element value, std::uint32_t node);

  // False when the text is not a JSON object.
  bool flatten(const PathTable& paths, std::string_view json) {
    leaves.clear();
    trails.clear();
    trail.clear();
    arrays = 0;
    simdjson::dom::element root;
    if (parser.parse(json.data(), json.size(), true).get(root) != simdjson::SUCCESS) return false;
    if (root.type() != simdjson::dom::element_type::OBJECT) return false;
    flatten_value(paths, root, 0);
    return true;
  }
};

void MatchScratch::Impl::flatten_value(const PathTable& paths, simdjson::dom::element value,
                                       std::uint32_t node) {
  using simdjson::dom::element_type;
  const element_type type = value.type();
  if (type == element_type::OBJECT) {
    for (const auto member : simdjson::dom::object(value)) {
      const std::uint32_t next = paths.walk(node, member.key);
      if (next != PathTable::kNone) flatten_value(paths, member.value, next);
    }
    return;
  }
  if (type == element_type::ARRAY) {
    const std::uint32_t id = arrays++;
    std::uint32_t index = 0;
    for (const auto element : simdjson::dom::array(value)) {
      trail.push_back({id, index++});
      flatten_value(paths, element, node);
      trail.pop_back();
    }
    return;
  }
  if (paths.nodes[node].path_id == PathTable::kNone) return;
  Leaf leaf;
  leaf.path = paths.nodes[node].path_id;
  switch (type) {
    case element_type::STRING:
      leaf.type = LeafType::kString;
      leaf.text = std::string_view(value.get_string().value_unsafe());
      break;
    case element_type::INT64:
      leaf.type = LeafType::kNumber;
      leaf.number = static_cast<double>(value.get_int64().value_unsafe());
      break;
    case element_type::UINT64:
      leaf.type = LeafType::kNumber;
      leaf.number = static_cast<double>(value.get_uint64().value_unsafe());
      break;
    case element_type::DOUBLE:
      leaf.type = LeafType::kNumber;
      leaf.number = value.get_double().value_unsafe();
      break;
    case element_type::BOOL:
      leaf.type = value.get_bool().value_unsafe() ? LeafType::kTrue : LeafType::kFalse;
      break;
    default:
      leaf.type = LeafType::kNull;
      break;
  }
  leaf.number = normalized(leaf.number);
  leaf.trail_begin = static_cast<std::uint32_t>(trails.size());
  trails.insert(trails.end(), trail.begin(), trail.end());
  leaf.trail_end = static_cast<std::uint32_t>(trails.size());
  leaves.push_back(leaf);
}

MatchScratch::MatchScratch() : impl_(std::make_unique<Impl>()) {}
MatchScratch::~MatchScratch() = default;
MatchScratch::MatchScratch(MatchScratch&&) noexcept = default;
MatchScratch& MatchScratch::operator=(MatchScratch&&) noexcept = default;

namespace {

bool compatible(const MatchScratch::Impl& s, const Leaf& a, const Leaf& b) {
  std::uint32_t i = a.trail_begin, j = b.trail_begin;
  for (; i < a.trail_end && j < b.trail_end; ++i, ++j) {
    if (s.trails[i].array != s.trails[j].array) return true;  // paths diverged
    if (s.trails[i].index != s.trails[j].index) return false;
  }
  return true;
}

// Picks one leaf per field of `fields` from [choice_begin[f], choice_end[f])
// so that all picks are pairwise compatible. Depth-first with pruning: a
// pick that clashes with an earlier one is dropped at once. `budget` bounds
// the steps: an event built to make the search explode (many elements in
// arrays the pattern's fields share) is refused as no match rather than
// holding a thread; no event of a sane shape comes near it.
bool choose(MatchScratch::Impl& s, const std::vector<std::size_t>& fields, std::size_t k,
            std::size_t& budget) {
  if (k == fields.size()) return true;
  const std::size_t field = fields[k];
  for (const std::uint32_t* p = s.choice_begin[field]; p != s.choice_end[field]; ++p) {
    if (budget == 0) return false;
    --budget;
    const Leaf& leaf = s.leaves[*p];
    bool ok = true;
    for (std::uint32_t earlier : s.chosen) {
      if (!compatible(s, s.leaves[earlier], leaf)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    s.chosen.push_back(*p);
    if (choose(s, fields, k + 1, budget)) return true;
    s.chosen.pop_back();
  }
  return false;
}

// Steps one consistency check may take (choose()).
constexpr std::size_t kConsistencyBudget = 100000;

// Whether some pick of one leaf per field in the scratch's choice lists is
// consistent. Most events have no arrays on the chosen paths: no search.
// Fields whose candidates share no event array cannot constrain each other,
// so the search runs per group of fields linked by a shared array: a field
// that fails in one group never makes another group's picks be enumerated
// again (without this, fields in unrelated arrays multiply: M^fields).
bool consistent(MatchScratch::Impl& s) {
  const std::size_t n = s.choice_begin.size();
  bool any_trail = false;
  for (std::size_t f = 0; f < n && !any_trail; ++f) {
    for (const std::uint32_t* p = s.choice_begin[f]; p != s.choice_end[f]; ++p) {
      if (s.leaves[*p].trail_begin != s.leaves[*p].trail_end) {
        any_trail = true;
        break;
      }
    }
  }
  if (!any_trail) return true;
  // Union-find over fields, joined through the arrays on their trails.
  std::vector<std::size_t> parent(n);
  for (std::size_t f = 0; f < n; ++f) parent[f] = f;
  auto root = [&](std::size_t f) {
    while (parent[f] != f) f = parent[f] = parent[parent[f]];
    return f;
  };
  std::unordered_map<std::uint32_t, std::size_t> field_of_array;
  for (std::size_t f = 0; f < n; ++f) {
    for (const std::uint32_t* p = s.choice_begin[f]; p != s.choice_end[f]; ++p) {
      const Leaf& leaf = s.leaves[*p];
      for (std::uint32_t t = leaf.trail_begin; t < leaf.trail_end; ++t) {
        auto [it, fresh] = field_of_array.emplace(s.trails[t].array, f);
        if (!fresh) parent[root(f)] = root(it->second);
      }
    }
  }
  std::vector<std::vector<std::size_t>> groups(n);
  for (std::size_t f = 0; f < n; ++f) groups[root(f)].push_back(f);
  std::size_t budget = kConsistencyBudget;
  for (const auto& group : groups) {
    if (group.empty()) continue;
    s.chosen.clear();
    if (!choose(s, group, 0, budget)) return false;
  }
  s.chosen.clear();
  return true;
}

}  // namespace

// --- one pattern, no index ------------------------------------------------------

bool matches(const Pattern& pattern, std::string_view event_json, MatchScratch& scratch) {
  MatchScratch::Impl& s = *scratch.impl_;
  PathTable paths;
  for (const Alternative& alt : pattern.alternatives()) {
    for (const Field& f : alt.fields) paths.intern(f.path);
  }
  if (!s.flatten(paths, event_json)) return false;
  for (const Alternative& alt : pattern.alternatives()) {
    s.candidates.clear();
    s.candidate_offsets.assign(1, 0);
    bool satisfied = true;
    for (const Field& field : alt.fields) {
      const std::uint32_t path = paths.ids.find(field.path)->second;
      bool present = false;
      for (std::uint32_t i = 0; i < s.leaves.size(); ++i) {
        const Leaf& leaf = s.leaves[i];
        if (leaf.path != path) continue;
        present = true;
        if (std::any_of(field.conditions.begin(), field.conditions.end(),
                        [&](const Condition& c) { return condition_matches(c, leaf); })) {
          s.candidates.push_back(i);
        }
      }
      const bool by_values = s.candidates.size() > s.candidate_offsets.back();
      if (!by_values && (present || !field.has_exists_false())) {
        satisfied = false;
        break;
      }
      s.candidate_offsets.push_back(static_cast<std::uint32_t>(s.candidates.size()));
    }
    if (!satisfied) continue;
    s.choice_begin.clear();
    s.choice_end.clear();
    for (std::size_t f = 0; f + 1 < s.candidate_offsets.size(); ++f) {
      if (s.candidate_offsets[f] == s.candidate_offsets[f + 1]) continue;  // absent, exists:false
      s.choice_begin.push_back(s.candidates.data() + s.candidate_offsets[f]);
      s.choice_end.push_back(s.candidates.data() + s.candidate_offsets[f + 1]);
    }
    if (consistent(s)) return true;
  }
  return false;
}

bool matches(const Pattern& pattern, std::string_view event_json) {
  MatchScratch scratch;
  return matches(pattern, event_json, scratch);
}

// --- the index --------------------------------------------------------------------
//
// Each alternative is entered in the index under one field only, its "gate":
// the field whose values are rarest among all the rules (estimated from how
// many conditions share each key), so that an event's values call up few
// alternatives even when most rules share a common first field (source).
// An alternative called up is then verified field by field against the
// event's leaves at those paths. Alternatives with no indexable field (all
// fields numeric, wildcard, cidr, anything-but or exists:false) are verified
// on every event.

namespace {

using Alternatives = std::vector<std::uint32_t>;

// Strings keyed by themselves; a probe tries each length some key has.
struct AffixIndex {
  StringMap<Alternatives> by_affix;
  std::vector<std::size_t> lengths;  // sorted, distinct

  void add(const std::string& affix, std::uint32_t alternative) {
    by_affix[affix].push_back(alternative);
    const auto at = std::lower_bound(lengths.begin(), lengths.end(), affix.size());
    if (at == lengths.end() || *at != affix.size()) lengths.insert(at, affix.size());
  }
};

// Numeric ranges with both bounds on one path, bucketed over the span
// they cover: a value looks in one bucket, whose alternatives are verified.
// A range over more than kMaxSpan buckets is not a gate (too broad to help).
struct NumericGrid {
  static constexpr std::size_t kMaxSpan = 64;
  double low = 0, high = 0, width = 1;
  std::size_t buckets = 0, ranges = 0;
  std::vector<std::uint32_t> census;  // conditions per bucket
  std::vector<Alternatives> gates;    // by bucket

  // Clamped, so the bucket of every value within a range lies within the
  // range's buckets.
  std::size_t bucket_of(double x) const {
    const double b = std::floor((x - low) / width);
    if (!(b > 0)) return 0;
    if (b >= static_cast<double>(buckets - 1)) return buckets - 1;
    return static_cast<std::size_t>(b);
  }
  bool span(const NumericRange& r, std::size_t& first, std::size_t& last) const {
    if (buckets == 0 || !r.has_low || !r.has_high) return false;
    first = bucket_of(r.low);
    last = bucket_of(r.high);
    return last - first < kMaxSpan;
  }
};

// The gates on one path.
struct FieldIndex {
  NumericGrid grid;
  StringMap<Alternatives> exact_strings;
  std::unordered_map<double, Alternatives> exact_numbers;
  Alternatives nulls, trues, falses, exists;
  StringMap<Alternatives> ignore_case;  // folded
  AffixIndex prefixes, suffixes, prefixes_folded, suffixes_folded;
  bool needs_folding = false;
};

// How many conditions (of all rules) share each key on one path.
struct Census {
  StringMap<std::uint32_t> strings, folded, prefixes, suffixes, prefixes_folded, suffixes_folded;
  std::unordered_map<double, std::uint32_t> numbers;
  std::uint32_t nulls = 0, trues = 0, falses = 0, exists = 0;
};

struct FieldRef {
  std::uint32_t path = 0;
  std::uint32_t first_condition = 0, condition_count = 0;
  bool exists_false = false;
};

struct AlternativeInfo {
  std::uint32_t key = 0;
  std::uint32_t first_field = 0, field_count = 0;
};

}  // namespace

struct Matcher::Index {
  PathTable paths;
  std::vector<FieldIndex> fields;  // by path id
  std::vector<Condition> conditions;
  std::vector<FieldRef> alternative_fields;
  std::vector<AlternativeInfo> alternatives;
  Alternatives always_verified;
  // Alternatives gated by the values of two exact-string fields at once
  // (source and detail-type, say), when neither alone is rare enough.
  struct PairGate {
    std::uint32_t first_path = 0, second_path = 0;
    StringMap<Alternatives> by_values;  // pair_key(first value, second value)
  };
  std::vector<PairGate> pair_gates;
  std::size_t patterns = 0;

  // Unambiguous for any two strings (they may hold NUL).
  static void pair_key(std::string& out, std::string_view a, std::string_view b) {
    out.assign(std::to_string(a.size()));
    out.push_back(':');
    out.append(a);
    out.append(b);
  }

  // A field that can join a pair gate: exactly one condition, an exact string.
  const Condition* single_exact_string(const FieldRef& f) const {
    if (f.condition_count != 1 || conditions[f.first_condition].op != Op::kExactString) {
      return nullptr;
    }
    return &conditions[f.first_condition];
  }

  void add_pair_gate(std::uint32_t alternative, const FieldRef& x, const FieldRef& y) {
    const FieldRef& a = x.path < y.path ? x : y;
    const FieldRef& b = x.path < y.path ? y : x;
    PairGate* gate = nullptr;
    for (PairGate& g : pair_gates) {
      if (g.first_path == a.path && g.second_path == b.path) gate = &g;
    }
    if (gate == nullptr) {
      pair_gates.push_back({a.path, b.path, {}});
      gate = &pair_gates.back();
    }
    std::string key;
    pair_key(key, single_exact_string(a)->text, single_exact_string(b)->text);
    gate->by_values[key].push_back(alternative);
  }

  // The census counter for a condition as a gate, and how many distinct
  // keys share its map (into `keys`); null when it cannot be a gate.
  // Numeric ranges count in their grid buckets instead.
  static std::uint32_t* census_slot(Census& census, const Condition& c, double& keys) {
    auto in = [&keys](auto& map, const auto& key) {
      std::uint32_t* n = &map[key];
      keys = static_cast<double>(map.size());
      return n;
    };
    keys = 1;
    switch (c.op) {
      case Op::kExactString:
        return in(census.strings, c.text);
      case Op::kExactNumber:
        return in(census.numbers, normalized(c.number));
      case Op::kNull:
        keys = 2;
        return &census.nulls;
      case Op::kTrue:
        keys = 2;
        return &census.trues;
      case Op::kFalse:
        keys = 2;
        return &census.falses;
      case Op::kExistsTrue:
        return &census.exists;
      case Op::kPrefix:
        return in(census.prefixes, c.text);
      case Op::kSuffix:
        return in(census.suffixes, c.text);
      case Op::kPrefixIgnoreCase:
        return in(census.prefixes_folded, c.text);
      case Op::kSuffixIgnoreCase:
        return in(census.suffixes_folded, c.text);
      case Op::kEqualsIgnoreCase:
        return in(census.folded, c.text);
      case Op::kWildcard:  // gated by its literal head, a prefix
        if (c.wildcard.segments.size() == 1) return in(census.strings, c.wildcard.segments[0]);
        if (c.wildcard.segments[0].empty()) return nullptr;
        return in(census.prefixes, c.wildcard.segments[0]);
      default:
        return nullptr;
    }
  }

  // How likely a condition as a gate is to call its alternative up, if event
  // values spread evenly over the keys rules name on that path: 1/keys for
  // keyed conditions, the share of the span for numeric ranges, 1 for
  // exists. Rules sharing a key do not change it (each is called up with
  // the same chance); they only break ties. False when it cannot be a gate.
  bool gate_cost(const Condition& c, std::uint32_t path, std::vector<Census>& census,
                 double& cost) {
    if (c.op == Op::kNumeric) {
      const NumericGrid& grid = fields[path].grid;
      std::size_t first = 0, last = 0;
      if (!grid.span(c.range, first, last)) return false;
      std::uint32_t worst = 0;
      for (std::size_t b = first; b <= last; ++b) worst = std::max(worst, grid.census[b]);
      cost += static_cast<double>(last - first + 1) / static_cast<double>(grid.buckets) +
              static_cast<double>(worst) * 1e-9;
      return true;
    }
    double keys = 1;
    const std::uint32_t* n = census_slot(census[path], c, keys);
    if (n == nullptr) return false;
    cost += 1 / keys + static_cast<double>(*n) * 1e-9;
    return true;
  }

  void add_gate(const Condition& c, std::uint32_t alternative, FieldIndex& index) {
    switch (c.op) {
      case Op::kExactString:
        index.exact_strings[c.text].push_back(alternative);
        return;
      case Op::kExactNumber:
        index.exact_numbers[normalized(c.number)].push_back(alternative);
        return;
      case Op::kNull:
        index.nulls.push_back(alternative);
        return;
      case Op::kTrue:
        index.trues.push_back(alternative);
        return;
      case Op::kFalse:
        index.falses.push_back(alternative);
        return;
      case Op::kExistsTrue:
        index.exists.push_back(alternative);
        return;
      case Op::kPrefix:
        index.prefixes.add(c.text, alternative);
        return;
      case Op::kSuffix:
        index.suffixes.add(c.text, alternative);
        return;
      case Op::kPrefixIgnoreCase:
        index.prefixes_folded.add(c.text, alternative);
        index.needs_folding = true;
        return;
      case Op::kSuffixIgnoreCase:
        index.suffixes_folded.add(c.text, alternative);
        index.needs_folding = true;
        return;
      case Op::kEqualsIgnoreCase:
        index.ignore_case[c.text].push_back(alternative);
        index.needs_folding = true;
        return;
      case Op::kWildcard:
        if (c.wildcard.segments.size() == 1) {
          index.exact_strings[c.wildcard.segments[0]].push_back(alternative);
        } else {
          index.prefixes.add(c.wildcard.segments[0], alternative);
        }
        return;
      case Op::kNumeric: {
        std::size_t first = 0, last = 0;
        if (!index.grid.span(c.range, first, last)) return;
        for (std::size_t b = first; b <= last; ++b) index.grid.gates[b].push_back(alternative);
        return;
      }
      default:
        return;  // not indexable: never a gate
    }
  }

  void build_grids() {
    for (const FieldRef& f : alternative_fields) {
      for (std::uint32_t c = f.first_condition; c < f.first_condition + f.condition_count; ++c) {
        const NumericRange& r = conditions[c].range;
        if (conditions[c].op != Op::kNumeric || !r.has_low || !r.has_high) continue;
        NumericGrid& g = fields[f.path].grid;
        g.low = g.ranges == 0 ? r.low : std::min(g.low, r.low);
        g.high = g.ranges == 0 ? r.high : std::max(g.high, r.high);
        ++g.ranges;
      }
    }
    for (FieldIndex& f : fields) {
      NumericGrid& g = f.grid;
      if (g.ranges == 0) continue;
      g.buckets = std::clamp<std::size_t>(2 * g.ranges, 16, 65536);
      g.width = (g.high - g.low) / static_cast<double>(g.buckets);
      if (!(g.width > 0) || !std::isfinite(g.width)) g.width = 1;
      g.census.assign(g.buckets, 0);
      g.gates.assign(g.buckets, {});
    }
    for (const FieldRef& f : alternative_fields) {
      for (std::uint32_t c = f.first_condition; c < f.first_condition + f.condition_count; ++c) {
        NumericGrid& g = fields[f.path].grid;
        std::size_t first = 0, last = 0;
        if (conditions[c].op != Op::kNumeric || !g.span(conditions[c].range, first, last)) continue;
        for (std::size_t b = first; b <= last; ++b) ++g.census[b];
      }
    }
  }

  void build_gates() {
    fields.assign(paths.ids.size(), FieldIndex{});
    build_grids();
    std::vector<Census> census(paths.ids.size());
    for (const FieldRef& f : alternative_fields) {
      for (std::uint32_t c = f.first_condition; c < f.first_condition + f.condition_count; ++c) {
        double keys = 0;
        if (std::uint32_t* n = census_slot(census[f.path], conditions[c], keys)) ++*n;
      }
    }
    // Fields are put in order of rarity, so that verifying an alternative
    // usually stops at its first or second field; the rarest indexable one
    // is the gate.
    constexpr double kNotAGate = std::numeric_limits<double>::infinity();
    std::vector<std::pair<double, FieldRef>> ranked;
    for (std::uint32_t a = 0; a < alternatives.size(); ++a) {
      const AlternativeInfo& alt = alternatives[a];
      ranked.clear();
      for (std::uint32_t i = alt.first_field; i < alt.first_field + alt.field_count; ++i) {
        const FieldRef& f = alternative_fields[i];
        double cost = 0;
        bool ok = true;
        for (std::uint32_t c = f.first_condition; c < f.first_condition + f.condition_count && ok;
             ++c) {
          ok = gate_cost(conditions[c], f.path, census, cost);
        }
        ranked.emplace_back(ok ? cost : kNotAGate, f);
      }
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const auto& x, const auto& y) { return x.first < y.first; });
      for (std::uint32_t i = 0; i < alt.field_count; ++i) {
        alternative_fields[alt.first_field + i] = ranked[i].second;
      }
      if (ranked[0].first == kNotAGate) {
        always_verified.push_back(a);
        continue;
      }
      // The two rarest single exact-string fields on distinct paths, as a
      // pair, when together (assumed independent) they beat the best field.
      const FieldRef* pair[2] = {nullptr, nullptr};
      double pair_cost = 1;
      for (std::uint32_t i = 0; i < alt.field_count && pair[1] == nullptr; ++i) {
        const FieldRef& f = alternative_fields[alt.first_field + i];
        if (ranked[i].first == kNotAGate || single_exact_string(f) == nullptr) continue;
        if (pair[0] != nullptr && pair[0]->path == f.path) continue;
        pair[pair[0] == nullptr ? 0 : 1] = &f;
        pair_cost *= ranked[i].first;
      }
      if (pair[1] != nullptr && pair_cost < ranked[0].first * 0.5 && pair_gates.size() < 64) {
        add_pair_gate(a, *pair[0], *pair[1]);
        continue;
      }
      const FieldRef& gate = alternative_fields[alt.first_field];
      for (std::uint32_t c = gate.first_condition; c < gate.first_condition + gate.condition_count;
           ++c) {
        add_gate(conditions[c], a, fields[gate.path]);
      }
    }
  }
};

namespace {

void emit(const Alternatives& alternatives, std::vector<std::uint32_t>& hits) {
  hits.insert(hits.end(), alternatives.begin(), alternatives.end());
}

void probe_affixes(const AffixIndex& index, std::string_view value, bool suffix,
                   std::vector<std::uint32_t>& hits) {
  for (std::size_t length : index.lengths) {
    if (length > value.size()) break;
    const std::string_view affix =
        suffix ? value.substr(value.size() - length) : value.substr(0, length);
    const auto it = index.by_affix.find(affix);
    if (it != index.by_affix.end()) emit(it->second, hits);
  }
}

}  // namespace

MatcherBuilder::MatcherBuilder() : index_(std::make_unique<Matcher::Index>()) {}
MatcherBuilder::~MatcherBuilder() = default;
MatcherBuilder::MatcherBuilder(MatcherBuilder&&) noexcept = default;
MatcherBuilder& MatcherBuilder::operator=(MatcherBuilder&&) noexcept = default;

void MatcherBuilder::add(std::uint32_t key, const Pattern& pattern) {
  Matcher::Index& index = *index_;
  ++index.patterns;
  for (const Alternative& alt : pattern.alternatives()) {
    index.alternatives.push_back({key, static_cast<std::uint32_t>(index.alternative_fields.size()),
                                  static_cast<std::uint32_t>(alt.fields.size())});
    for (const Field& field : alt.fields) {
      FieldRef ref;
      ref.path = index.paths.intern(field.path);
      ref.first_condition = static_cast<std::uint32_t>(index.conditions.size());
      ref.condition_count = static_cast<std::uint32_t>(field.conditions.size());
      ref.exists_false = field.has_exists_false();
      index.conditions.insert(index.conditions.end(), field.conditions.begin(),
                              field.conditions.end());
      index.alternative_fields.push_back(ref);
    }
  }
}

Matcher MatcherBuilder::build() && {
  index_->build_gates();
  Matcher m;
  m.index_ = std::move(index_);
  index_ = std::make_unique<Matcher::Index>();
  return m;
}

Matcher::Matcher() : index_(std::make_shared<Index>()) {}

std::size_t Matcher::size() const { return index_->patterns; }

void Matcher::match(std::string_view event_json, std::vector<std::uint32_t>& matched_keys) const {
  MatchScratch scratch;
  match(event_json, matched_keys, scratch);
}

void Matcher::match(std::string_view event_json, std::vector<std::uint32_t>& matched_keys,
                    MatchScratch& scratch) const {
  matched_keys.clear();
  const Index& index = *index_;
  if (index.alternatives.empty()) return;
  MatchScratch::Impl& s = *scratch.impl_;
  if (!s.flatten(index.paths, event_json)) return;

  // Leaves by path: sorted, with each path's range.
  std::sort(s.leaves.begin(), s.leaves.end(),
            [](const Leaf& a, const Leaf& b) { return a.path < b.path; });
  s.range_begin.resize(index.paths.ids.size());
  s.range_end.resize(index.paths.ids.size());
  for (const Leaf& leaf : s.leaves) s.range_begin[leaf.path] = s.range_end[leaf.path] = 0;
  for (std::uint32_t i = 0; i < s.leaves.size(); ++i) {
    const std::uint32_t p = s.leaves[i].path;
    if (i == 0 || s.leaves[i - 1].path != p) s.range_begin[p] = i;
    s.range_end[p] = i + 1;
  }
  auto leaves_at = [&](std::uint32_t path) -> std::pair<std::uint32_t, std::uint32_t> {
    const bool present = s.range_end[path] != 0 && s.range_begin[path] < s.leaves.size() &&
                         s.leaves[s.range_begin[path]].path == path;
    return present ? std::pair{s.range_begin[path], s.range_end[path]} : std::pair{0u, 0u};
  };

  // Alternatives called up by some leaf at their gate.
  auto& hits = s.gate_hits;
  hits.clear();
  for (const Leaf& leaf : s.leaves) {
    const FieldIndex& f = index.fields[leaf.path];
    emit(f.exists, hits);
    switch (leaf.type) {
      case LeafType::kString: {
        if (auto it = f.exact_strings.find(leaf.text); it != f.exact_strings.end()) {
          emit(it->second, hits);
        }
        probe_affixes(f.prefixes, leaf.text, false, hits);
        probe_affixes(f.suffixes, leaf.text, true, hits);
        if (f.needs_folding) {
          s.folded = fold_case(leaf.text);
          if (auto it = f.ignore_case.find(s.folded); it != f.ignore_case.end()) {
            emit(it->second, hits);
          }
          probe_affixes(f.prefixes_folded, s.folded, false, hits);
          probe_affixes(f.suffixes_folded, s.folded, true, hits);
        }
        break;
      }
      case LeafType::kNumber:
        if (auto it = f.exact_numbers.find(leaf.number); it != f.exact_numbers.end()) {
          emit(it->second, hits);
        }
        if (f.grid.buckets != 0) emit(f.grid.gates[f.grid.bucket_of(leaf.number)], hits);
        break;
      case LeafType::kTrue:
        emit(f.trues, hits);
        break;
      case LeafType::kFalse:
        emit(f.falses, hits);
        break;
      case LeafType::kNull:
        emit(f.nulls, hits);
        break;
    }
  }
  for (const Index::PairGate& gate : index.pair_gates) {
    const auto [a_begin, a_end] = leaves_at(gate.first_path);
    const auto [b_begin, b_end] = leaves_at(gate.second_path);
    for (std::uint32_t i = a_begin; i < a_end; ++i) {
      if (s.leaves[i].type != LeafType::kString) continue;
      for (std::uint32_t j = b_begin; j < b_end; ++j) {
        if (s.leaves[j].type != LeafType::kString) continue;
        Index::pair_key(s.folded, s.leaves[i].text, s.leaves[j].text);
        if (auto it = gate.by_values.find(s.folded); it != gate.by_values.end()) {
          emit(it->second, hits);
        }
      }
    }
  }
  emit(index.always_verified, hits);
  std::sort(hits.begin(), hits.end());
  hits.erase(std::unique(hits.begin(), hits.end()), hits.end());

  // Each one verified: every field has a leaf satisfying one of its
  // conditions, or is absent and accepts absence; then array consistency.
  std::uint32_t last_key_matched = 0;
  bool any_matched = false;
  for (std::uint32_t a : hits) {
    const AlternativeInfo& alt = index.alternatives[a];
    if (any_matched && alt.key == last_key_matched) continue;
    s.candidates.clear();
    s.candidate_offsets.assign(1, 0);
    bool satisfied = true;
    for (std::uint32_t i = alt.first_field; i < alt.first_field + alt.field_count && satisfied;
         ++i) {
      const FieldRef& f = index.alternative_fields[i];
      const auto [begin, end] = leaves_at(f.path);
      for (std::uint32_t l = begin; l < end; ++l) {
        for (std::uint32_t c = f.first_condition; c < f.first_condition + f.condition_count; ++c) {
          if (condition_matches(index.conditions[c], s.leaves[l])) {
            s.candidates.push_back(l);
            break;
          }
        }
      }
      if (s.candidates.size() == s.candidate_offsets.back() && (begin != end || !f.exists_false)) {
        satisfied = false;
      }
      s.candidate_offsets.push_back(static_cast<std::uint32_t>(s.candidates.size()));
    }
    if (!satisfied) continue;
    s.choice_begin.clear();
    s.choice_end.clear();
    for (std::size_t f = 0; f + 1 < s.candidate_offsets.size(); ++f) {
      if (s.candidate_offsets[f] == s.candidate_offsets[f + 1]) continue;
      s.choice_begin.push_back(s.candidates.data() + s.candidate_offsets[f]);
      s.choice_end.push_back(s.candidates.data() + s.candidate_offsets[f + 1]);
    }
    if (consistent(s)) {
      matched_keys.push_back(alt.key);
      last_key_matched = alt.key;
      any_matched = true;
    }
  }

  std::sort(matched_keys.begin(), matched_keys.end());
  matched_keys.erase(std::unique(matched_keys.begin(), matched_keys.end()), matched_keys.end());
}

}  // namespace cloudlet::events
