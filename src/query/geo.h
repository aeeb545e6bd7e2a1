#pragma once

#include <optional>

#include "query/filter.h"

namespace klozeo::query {

/// Mean Earth radius (IUGG), the radius of every great-circle distance in the server.
inline constexpr double kEarthRadiusKm = 6371.0088;

/// Great-circle (haversine) distance in km between two points given in degrees. The SQL
/// emitted for within_radius computes the same formula.
double GreatCircleKm(double lat1, double lng1, double lat2, double lng2);

/// A latitude/longitude rectangle containing every point within a circle: a cheap prefilter
/// in front of the exact distance check.
struct BoundingBox {
  double min_lat = -90;
  double max_lat = 90;
  /// nullopt when the circle reaches a pole or crosses the ±180° meridian: no longitude bound.
  std::optional<double> min_lng;
  std::optional<double> max_lng;
};

/// The bounding box of `circle`, with a small margin so rounding never drops a boundary point.
BoundingBox BoundingBoxOf(const GeoCircle& circle);

}  // namespace klozeo::query
