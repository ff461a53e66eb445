//! Distances and the offline ZIP code centroids (U.S. Census ZCTAs, from
//! `data/geo/us-zcta-centroids.csv`, embedded: nothing is looked up online).

use std::collections::HashMap;
use std::sync::OnceLock;

const CENTROIDS: &str = include_str!("../../../../data/geo/us-zcta-centroids.csv");

/// A point on Earth in degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

impl Point {
    /// A valid latitude and longitude, or `None`.
    #[must_use]
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && lat.is_finite())
            .then_some(Self { lat, lon })
    }
}

fn table() -> &'static HashMap<u32, Point> {
    static TABLE: OnceLock<HashMap<u32, Point>> = OnceLock::new();
    TABLE.get_or_init(|| {
        CENTROIDS
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.split(',');
                let zip = f.next()?.parse().ok()?;
                let lat = f.next()?.parse().ok()?;
                let lon = f.next()?.parse().ok()?;
                Some((zip, Point::new(lat, lon)?))
            })
            .collect()
    })
}

/// The centroid of a five-digit ZIP code (ZIP+4 is read as its first five).
#[must_use]
pub fn zip_centroid(zip: &str) -> Option<Point> {
    let five = zip.trim().get(..5)?;
    if !five.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    table().get(&five.parse().ok()?).copied()
}

const EARTH_RADIUS_MILES: f64 = 3958.761;

/// Great-circle distance in miles (haversine).
#[must_use]
pub fn miles(a: Point, b: Point) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_MILES * h.sqrt().min(1.0).asin()
}

/// A latitude/longitude box that contains every point within `radius` miles
/// of `center`: what an index can range over before the exact distance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

#[must_use]
pub fn bounding_box(center: Point, radius: f64) -> BoundingBox {
    let dlat = (radius / EARTH_RADIUS_MILES).to_degrees();
    let cos = center.lat.to_radians().cos().max(0.01);
    let dlon = (dlat / cos).min(180.0);
    BoundingBox {
        min_lat: (center.lat - dlat).max(-90.0),
        max_lat: (center.lat + dlat).min(90.0),
        min_lon: (center.lon - dlon).max(-180.0),
        max_lon: (center.lon + dlon).min(180.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_centroids_are_embedded() {
        let nyc = zip_centroid("10001").unwrap();
        assert!((nyc.lat - 40.75).abs() < 0.05 && (nyc.lon + 73.99).abs() < 0.05);
        assert_eq!(zip_centroid("10001-1234"), Some(nyc));
        assert_eq!(zip_centroid("1000"), None);
        assert_eq!(zip_centroid("ab123"), None);
        assert_eq!(zip_centroid("00000"), None);
    }

    #[test]
    fn distances_are_great_circle_miles() {
        // Manhattan (10001) to downtown Los Angeles (90012): about 2,445 miles.
        let d = miles(
            zip_centroid("10001").unwrap(),
            zip_centroid("90012").unwrap(),
        );
        assert!((2430.0..2460.0).contains(&d), "{d}");
        let p = Point::new(40.0, -75.0).unwrap();
        assert!(miles(p, p) < 1e-9);
    }

    #[test]
    fn the_box_holds_the_circle() {
        let c = Point::new(40.0, -75.0).unwrap();
        let b = bounding_box(c, 25.0);
        for (lat, lon) in [
            (b.min_lat, c.lon),
            (b.max_lat, c.lon),
            (c.lat, b.min_lon),
            (c.lat, b.max_lon),
        ] {
            let d = miles(c, Point::new(lat, lon).unwrap());
            assert!((24.9..25.2).contains(&d), "{d}");
        }
    }
}
