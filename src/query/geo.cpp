#include "query/geo.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace klozeo::query {
namespace {

constexpr double kMarginDegrees = 1e-6;  // about 0.1 m

double Radians(double degrees) { return degrees * std::numbers::pi / 180.0; }
double Degrees(double radians) { return radians * 180.0 / std::numbers::pi; }

}  // namespace

double GreatCircleKm(double lat1, double lng1, double lat2, double lng2) {
  double phi1 = Radians(lat1);
  double phi2 = Radians(lat2);
  double sin_dphi = std::sin((phi2 - phi1) / 2);
  double sin_dlambda = std::sin(Radians(lng2 - lng1) / 2);
  double h = sin_dphi * sin_dphi + std::cos(phi1) * std::cos(phi2) * sin_dlambda * sin_dlambda;
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

BoundingBox BoundingBoxOf(const GeoCircle& circle) {
  double angle = circle.km / kEarthRadiusKm;  // angular radius, radians
  double dlat = Degrees(angle) + kMarginDegrees;
  BoundingBox box;
  box.min_lat = circle.lat - dlat;
  box.max_lat = circle.lat + dlat;
  if (box.min_lat <= -90 || box.max_lat >= 90) {
    box.min_lat = std::max(box.min_lat, -90.0);
    box.max_lat = std::min(box.max_lat, 90.0);
    return box;  // a pole is inside: every longitude is reachable
  }
  // The widest longitude span of a circle on the sphere (away from the poles).
  double dlng =
      Degrees(std::asin(std::sin(angle) / std::cos(Radians(circle.lat)))) + kMarginDegrees;
  if (circle.lng - dlng >= -180 && circle.lng + dlng <= 180) {
    box.min_lng = circle.lng - dlng;
    box.max_lng = circle.lng + dlng;
  }
  return box;
}

}  // namespace klozeo::query
