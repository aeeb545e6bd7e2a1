#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace klozeo::http {

/// Path parameters captured from `{name}` segments.
using PathParams = std::unordered_map<std::string, std::string>;

/// Maps (method, path) to a route. Literal segments win over `{param}` segments, so
/// `/leads/batch` is never read as a lead id. Generic over the handler type.
template <typename Handler>
class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;  ///< e.g. "/api/v1/leads/{id}"; also the route's name in logs
    Handler handler;
    std::vector<std::string> segments;
  };

  enum class MatchKind { kFound, kNoRoute, kWrongMethod };
  struct Match {
    MatchKind kind = MatchKind::kNoRoute;
    const Route* route = nullptr;
    PathParams params;
    std::string allow;  ///< for kWrongMethod: the methods the path accepts, comma separated
  };

  void Add(std::string method, std::string pattern, Handler handler) {
    Route r{std::move(method), std::move(pattern), std::move(handler), {}};
    r.segments = Split<std::string>(r.pattern);
    routes_.push_back(std::move(r));
  }

  const std::vector<Route>& routes() const { return routes_; }

  Match Find(std::string_view method, std::string_view path) const {
    std::vector<std::string_view> segs = Split(path);
    // Rank: at the first segment where two patterns differ, a literal beats a parameter.
    const std::vector<std::string>* best = nullptr;
    for (const auto& r : routes_) {
      if (!Matches(r.segments, segs)) continue;
      if (best == nullptr || MoreSpecific(r.segments, *best)) best = &r.segments;
    }
    Match m;
    if (best == nullptr) return m;
    for (const auto& r : routes_) {
      if (r.segments != *best) continue;
      if (r.method == method || (method == "HEAD" && r.method == "GET")) {
        m.kind = MatchKind::kFound;
        m.route = &r;
        for (size_t i = 0; i < segs.size(); ++i) {
          if (IsParam(r.segments[i])) {
            m.params[r.segments[i].substr(1, r.segments[i].size() - 2)] = std::string(segs[i]);
          }
        }
        return m;
      }
      if (!m.allow.empty()) m.allow += ", ";
      m.allow += r.method;
    }
    m.kind = MatchKind::kWrongMethod;
    return m;
  }

 private:
  static bool IsParam(const std::string& s) {
    return s.size() > 2 && s.front() == '{' && s.back() == '}';
  }
  template <typename Segment = std::string_view>
  static std::vector<Segment> Split(std::string_view path) {
    std::vector<Segment> out;
    out.reserve(8);
    size_t i = 0;
    while (i < path.size()) {
      if (path[i] == '/') {
        ++i;
        continue;
      }
      size_t j = path.find('/', i);
      if (j == std::string_view::npos) j = path.size();
      out.emplace_back(path.substr(i, j - i));
      i = j;
    }
    return out;
  }
  static bool Matches(const std::vector<std::string>& pattern,
                      const std::vector<std::string_view>& segs) {
    if (pattern.size() != segs.size()) return false;
    for (size_t i = 0; i < segs.size(); ++i) {
      if (!IsParam(pattern[i]) && pattern[i] != segs[i]) return false;
    }
    return true;
  }
  static bool MoreSpecific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      bool pa = IsParam(a[i]), pb = IsParam(b[i]);
      if (pa != pb) return !pa;
    }
    return false;
  }

  std::vector<Route> routes_;
};

}  // namespace klozeo::http
