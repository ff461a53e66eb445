#!/usr/bin/env python3
"""Generate a synthetic HSDS 1.1 datapackage of the kind county 211s publish.

The package has datapackage.json plus data/*.csv, with the file and column
names of the HSDS 1.1 template. It is meant for import benchmarks. Every name,
address, phone number (555-01xx) and email in it is invented; the ZIP codes and
their centroids are real (Broward County, Florida).

It has the flaws real exports have, in realistic proportions. Unless --clean
is given, each flaw appears at least once (in packages of 40 services or more):

  - weekday names instead of numbers ("Monday", "monday", "Mon", "Tues")
  - schedule rows with no id, and closed-day rows with no hours
  - times as 9:00am, 9am, 17:00, 08:00:00, "9:00 AM" or "10:00 a.m.",
    including shelters open past midnight (8:00pm to 7:00am)
  - services with no status; services whose organization is missing
  - empty or "USA" country; all-empty address rows for virtual locations;
    confidential addresses (city and ZIP only); locations with no coordinates
  - phones with no number; phones on a service_at_location, a location or an
    organization rather than a service
  - URLs with no scheme, and email addresses in url columns
  - languages as names ("Creole", "Kreyòl", "Filipino", "Chinese (Mandarin)",
    "ASL") or as codes ("es", "spa", "es-US")
  - AIRS / 211 LA taxonomy codes as taxonomy ids
  - eligibility rows with no service_id
  - a literal two-character \\n in text; UTF-8 text mis-decoded as
    Windows-1252 ("â€™", "Ã©") or as CP437 ("GÇÖ")
  - integer ids numbered from 1 in every table, so service 7, location 7 and
    phone 7 all exist
  - rows that are simply wrong: a service with no name, a service_at_location
    naming a location that does not exist, a latitude of 999

The output depends only on the arguments: the same seed gives byte-identical
files and zip. Uses the Python 3 standard library only.

With --expect, the script prints as JSON what a lenient importer keeps. That
importer follows the rules in
crates/haven-domain/tests/fixtures/hsds1-county/EXPECTED.md.
"""
import argparse
import csv
import io
import json
import os
import random
import re
import sys
import time
import zipfile

# ---------------------------------------------------------------- schema

TABLES = [  # (file stem, datapackage resource name, columns)
    ("organizations", "organization", "id,name,alternate_name,description,email,url,tax_status,tax_id,year_incorporated,legal_status"),
    ("programs", "program", "id,organization_id,name,alternate_name"),
    ("services", "service", "id,organization_id,program_id,name,alternate_name,description,url,email,status,interpretation_services,application_process,wait_time,fees,accreditations,licenses,taxonomy_ids"),
    ("services_taxonomy", "service_taxonomy", "id,service_id,taxonomy_id,taxonomy_detail"),
    ("services_at_location", "service_at_location", "id,service_id,location_id,description"),
    ("locations", "location", "id,organization_id,name,alternate_name,description,transportation,latitude,longitude"),
    ("phones", "phone", "id,location_id,service_id,organization_id,contact_id,service_at_location_id,number,extension,type,language,description,department"),
    ("contacts", "contact", "id,organization_id,service_id,service_at_location_id,name,title,department,email"),
    ("physical_addresses", "physical_address", "id,location_id,attention,address_1,address_2,address_3,address_4,city,region,state_province,postal_code,country"),
    ("postal_addresses", "postal_address", "id,location_id,attention,address_1,address_2,address_3,address_4,city,region,state_province,postal_code,country"),
    ("regular_schedules", "regular_schedule", "id,service_id,location_id,service_at_location_id,weekday,opens_at,closes_at"),
    ("holiday_schedules", "holiday_schedule", "id,service_id,location_id,service_at_location_id,closed,opens_at,closes_at,start_date,end_date"),
    ("funding", "funding", "id,organization_id,service_id,source"),
    ("eligibility", "eligibility", "id,service_id,eligibility"),
    ("service_areas", "service_area", "id,service_id,service_area,description"),
    ("required_documents", "required_document", "id,service_id,document"),
    ("payments_accepted", "payment_accepted", "id,service_id,payment"),
    ("languages", "language", "id,service_id,location_id,language"),
    ("accessibility_for_disabilities", "accessibility_for_disabilities", "id,location_id,accessibility,details"),
    ("taxonomy", "taxonomy", "id,name,parent_id,parent_name,vocabulary"),
    ("metadata", "metadata", "id,resource_id,last_action_date,last_action_type,field_name,previous_value,replacement_value,updated_by"),
]
COLUMNS = {stem: cols.split(",") for stem, _, cols in TABLES}
FIELD_TYPES = {"latitude": "number", "longitude": "number", "year_incorporated": "integer"}

# ---------------------------------------------------------------- places

ZIPS = [  # (ZIP, latitude, longitude, city): U.S. Census ZCTA centroids
    ("33004", 26.061046, -80.135859, "Dania Beach"), ("33009", 25.984406, -80.145605, "Hallandale Beach"),
    ("33019", 26.027614, -80.120197, "Hollywood"), ("33020", 26.019191, -80.152944, "Hollywood"),
    ("33021", 26.02313, -80.186539, "Hollywood"), ("33023", 25.988484, -80.212462, "Miramar"),
    ("33024", 26.026358, -80.244633, "Pembroke Pines"), ("33025", 25.988183, -80.281394, "Miramar"),
    ("33026", 26.026198, -80.295994, "Pembroke Pines"), ("33027", 25.98811, -80.340442, "Miramar"),
    ("33028", 26.014716, -80.340171, "Pembroke Pines"), ("33029", 25.992293, -80.394197, "Miramar"),
    ("33060", 26.234723, -80.121087, "Pompano Beach"), ("33062", 26.241077, -80.091233, "Pompano Beach"),
    ("33063", 26.251909, -80.208929, "Margate"), ("33064", 26.277754, -80.115325, "Pompano Beach"),
    ("33065", 26.274498, -80.2604, "Coral Springs"), ("33066", 26.252926, -80.17038, "Coconut Creek"),
    ("33067", 26.305853, -80.226402, "Parkland"), ("33068", 26.216395, -80.213958, "North Lauderdale"),
    ("33069", 26.23583, -80.1571, "Pompano Beach"), ("33071", 26.245781, -80.267366, "Coral Springs"),
    ("33073", 26.298166, -80.182101, "Coconut Creek"), ("33076", 26.319325, -80.271793, "Parkland"),
    ("33301", 26.121323, -80.127909, "Fort Lauderdale"), ("33304", 26.14134, -80.119169, "Fort Lauderdale"),
    ("33305", 26.153446, -80.122627, "Wilton Manors"), ("33306", 26.165508, -80.114094, "Fort Lauderdale"),
    ("33308", 26.18851, -80.104988, "Fort Lauderdale"), ("33309", 26.18599, -80.172721, "Fort Lauderdale"),
    ("33311", 26.144208, -80.172785, "Fort Lauderdale"), ("33312", 26.08817, -80.181783, "Fort Lauderdale"),
    ("33313", 26.15152, -80.227397, "Lauderhill"), ("33314", 26.06789, -80.22416, "Davie"),
    ("33315", 26.087005, -80.152976, "Fort Lauderdale"), ("33316", 26.101566, -80.120955, "Fort Lauderdale"),
    ("33317", 26.1126, -80.227875, "Plantation"), ("33319", 26.181382, -80.225802, "Lauderdale Lakes"),
    ("33321", 26.212501, -80.270158, "Tamarac"), ("33322", 26.149977, -80.275707, "Sunrise"),
    ("33323", 26.151759, -80.320939, "Sunrise"), ("33324", 26.112485, -80.27494, "Plantation"),
    ("33325", 26.110546, -80.324093, "Davie"), ("33326", 26.110469, -80.374015, "Weston"),
    ("33327", 26.226029, -80.367607, "Weston"), ("33328", 26.070471, -80.272864, "Davie"),
    ("33330", 26.060566, -80.330284, "Cooper City"), ("33331", 26.060462, -80.369595, "Davie"),
    ("33332", 26.006605, -80.460176, "Weston"), ("33334", 26.183753, -80.134055, "Oakland Park"),
    ("33441", 26.311098, -80.097874, "Deerfield Beach"), ("33442", 26.309716, -80.144905, "Deerfield Beach"),
]
STREETS = [
    "NW 6th St", "NW 27th Ave", "SW 34th Ave", "N Andrews Ave", "S Andrews Ave", "W Broward Blvd", "E Broward Blvd",
    "W Sunrise Blvd", "W Oakland Park Blvd", "E Oakland Park Blvd", "W Commercial Blvd", "W Atlantic Blvd",
    "E Atlantic Blvd", "W Sample Rd", "Hollywood Blvd", "Pines Blvd", "N University Dr", "S University Dr",
    "N State Road 7", "N Federal Hwy", "S Federal Hwy", "N Dixie Hwy", "Powerline Rd", "Davie Blvd", "Griffin Rd",
    "Stirling Rd", "Sheridan St", "Copans Rd", "W Hillsboro Blvd", "Wiles Rd", "Royal Palm Blvd", "Miramar Pkwy",
    "Flamingo Rd", "Nob Hill Rd", "Pine Island Rd", "Rock Island Rd", "Inverrary Blvd", "Cypress Creek Rd",
    "W McNab Rd", "Margate Blvd", "Coconut Creek Pkwy", "Johnson St", "Taft St", "Pembroke Rd",
    "Hallandale Beach Blvd", "W Dania Beach Blvd", "Southgate Blvd", "Peters Rd", "Washington St", "NW 12th St",
]
PLACES = [
    "Fort Lauderdale", "Hollywood", "Pompano Beach", "Lauderhill", "Sunrise", "Plantation", "Davie", "Miramar",
    "Pembroke Pines", "Coral Springs", "Margate", "Tamarac", "Deerfield Beach", "Oakland Park", "Dania Beach",
    "North Lauderdale", "Lauderdale Lakes", "Coconut Creek", "Hallandale Beach", "Weston", "Wilton Manors",
    "Cooper City", "Broward", "South Broward", "North Broward", "Riverland", "Sistrunk", "Dillard Park",
    "Melrose Park", "Carver Ranches", "Eastside", "Westside",
]
NOUNS = [
    "New River", "Harborview", "Bright Path", "Second Chance", "Open Door", "Sunshine", "Cypress", "Mangrove",
    "Seagrape", "Palmetto", "Coral Reef", "Lighthouse", "Beacon", "Horizon", "Heron", "Pelican", "Banyan",
    "Sawgrass", "Tradewinds", "Morning Star", "Good Neighbor", "Helping Hands", "Sea Breeze", "Keystone",
    "Riverbend", "Bayside", "Safe Harbor", "Anchor", "Compass", "Crossroads",
]
CHURCHES = ["St. Columba", "St. Agatha", "Holy Cross", "Grace Chapel", "Bethel", "Mount Olive", "New Hope", "Trinity"]

# ---------------------------------------------------------------- taxonomy (AIRS / 211 LA codes; names representative)

TAXONOMY = [
    ("B", "Basic Needs", ""), ("BD", "Food", "B"), ("BD-1800", "Emergency Food", "BD"),
    ("BD-1800.2000", "Food Pantries", "BD-1800"), ("BD-5000", "Meals", "BD"),
    ("BD-5000.3500", "Home Delivered Meals", "BD-5000"), ("BD-5000.8300", "Soup Kitchens", "BD-5000"),
    ("BH", "Housing/Shelter", "B"), ("BH-0500", "At Risk/Homeless Housing Related Assistance Programs", "BH"),
    ("BH-1800", "Emergency Shelter", "BH"), ("BH-1800.1500", "Crisis Shelter", "BH-1800"),
    ("BH-1800.1500-100", "Domestic Violence Shelters", "BH-1800.1500"),
    ("BH-1800.3500", "Bathing Facilities", "BH-1800"), ("BH-1800.8500", "Homeless Shelter", "BH-1800"),
    ("BH-3800", "Housing Expense Assistance", "BH"), ("BH-3800.7000", "Rent Payment Assistance", "BH-3800"),
    ("BM", "Material Goods", "B"), ("BM-6500.1500", "Clothing", "BM"), ("BT", "Transportation", "B"),
    ("BT-4500.6500-280", "General Paratransit/Community Ride Programs", "BT"), ("BV", "Utilities", "B"),
    ("BV-8900.9300", "Utility Service Payment Assistance", "BV"),
    ("F", "Criminal Justice and Legal Services", ""), ("FT", "Legal Services", "F"),
    ("FT-1000.9000", "Veteran Benefits Assistance", "FT"), ("FT-3200", "General Legal Aid", "FT"),
    ("H", "Education", ""), ("HH", "Educational Programs", "H"), ("HH-0500.1500", "Citizenship Education", "HH"),
    ("L", "Health Care", ""), ("LH", "Health Supportive Services", "L"), ("LH-2700.6000", "Nutrition Education", "LH"),
    ("LJ", "Human Reproduction", "L"), ("LJ-5000.6600", "Prenatal Care", "LJ"),
    ("LN", "Outpatient Health Facilities", "L"), ("LN-1500", "Community Clinics", "LN"),
    ("LV", "Specialty Medicine", "L"), ("LV-1600.2400", "General Dentistry", "LV"),
    ("N", "Income Support and Employment", ""), ("ND", "Employment", "N"), ("ND-1500", "Job Assistance Centers", "ND"),
    ("NL", "Public Assistance Programs", "N"), ("NL-5000.5000", "Medicaid", "NL"), ("NL-6000.2000", "Food Stamps/SNAP", "NL"),
    ("P", "Individual and Family Life", ""), ("PH", "Individual and Family Support Services", "P"),
    ("PH-1000", "Case/Care Management", "PH"), ("PH-1250.1800", "After School Programs", "PH"),
    ("PH-6100.1800", "Expectant/New Parent Assistance", "PH"),
    ("R", "Mental Health and Substance Use Disorder Services", ""), ("RP", "Mental Health Assessment and Treatment", "R"),
    ("RP-1400", "Mental Health Evaluation and Treatment", "RP"),
    ("RP-1400.8000-050", "Adolescent/Youth Counseling", "RP-1400"), ("RP-1500", "Crisis Intervention", "RP"),
    ("RP-1500.1400", "Crisis Intervention Hotlines/Helplines", "RP-1500"),
    ("RP-1500.1400-800", "Suicide Prevention Hotlines", "RP-1500.1400"),
    ("RX", "Substance Use Disorder Services", "R"), ("RX-1700.1700", "Drug Detoxification", "RX"),
    ("T", "Organizational/Community/International Services", ""), ("TC", "Community Facilities/Centers", "T"),
    ("TC-5500.8000", "Senior Centers", "TC"), ("TJ", "Information Services", "T"), ("TJ-3000", "Information and Referral", "TJ"),
]
VOCABULARY = "AIRS/211 LA County Taxonomy"

# ---------------------------------------------------------------- what organizations do
# service: (name, taxonomy codes, description, kind) ; kind: "" | "overnight" | "24h" | "virtual" | "confidential"
DOMAINS = {
    "food": (6, ["{place} Community Food Pantry", "{noun} Food Bank", "{church} Food Ministry", "{place} Hunger Relief Network"], [
        ("Emergency Food Pantry", ["BD-1800.2000"], "Free groceries once a month for residents", ""),
        ("Mobile Food Pantry", ["BD-1800.2000"], "A truck brings fresh produce to neighborhoods without a grocery store", ""),
        ("Hot Lunch Program", ["BD-5000.8300"], "Lunch served to anyone who comes", ""),
        ("SNAP Application Assistance", ["NL-6000.2000"], "Help applying for SNAP (food stamps) and recertifying", ""),
        ("Senior Grocery Boxes", ["BD-1800.2000"], "Monthly boxes of shelf-stable food for adults 60 and older", ""),
    ]),
    "shelter": (3, ["{place} Family Shelter", "{noun} House", "{place} Homeless Assistance Center", "{noun} Rescue Mission"], [
        ("Overnight Emergency Shelter", ["BH-1800.8500"], "Beds for single adults, first come first served", "overnight"),
        ("Day Center Showers and Mail", ["BH-1800.3500"], "Showers, laundry and a mailing address", ""),
        ("Cold Weather Shelter", ["BH-1800.8500"], "Extra beds on nights below 50 degrees", "overnight"),
        ("Rapid Rehousing", ["BH-0500"], "Short-term rent help and case management to move into housing", ""),
    ]),
    "dv": (1.5, ["{noun} Domestic Violence Services", "{noun} Survivor Services", "{place} Safe Families Center"], [
        ("Domestic Violence Emergency Shelter", ["BH-1800.1500-100"], "Confidential shelter for survivors and their children", "confidential"),
        ("24-Hour Domestic Violence Hotline", ["RP-1500"], "Crisis support and safety planning by phone", "virtual"),
        ("Legal Advocacy for Survivors", ["FT-3200"], "Help with injunctions for protection and court accompaniment", ""),
    ]),
    "legal": (3, ["{place} Legal Aid Project", "{noun} Justice Center", "Tenant Rights Project of {place}"], [
        ("Eviction Defense", ["FT-3200"], "Representation at eviction hearings for low-income tenants", ""),
        ("Tenant Rights Clinic", ["FT-3200"], "Learn your rights about leases, deposits and repairs", ""),
        ("Veterans Benefits Counseling", ["FT-1000.9000"], "Help filing VA disability and pension claims", ""),
        ("Immigration Legal Services", ["FT-3200"], "Consultations and help with immigration applications", ""),
    ]),
    "health": (6, ["{place} Community Health Center", "{noun} Free Clinic", "{place} Family Health"], [
        ("Primary Care", ["LN-1500"], "Checkups, sick visits and chronic disease care", ""),
        ("Prenatal Care", ["LJ-5000.6600"], "Prenatal visits and nutrition counseling", ""),
        ("Dental Clinic", ["LV-1600.2400"], "Cleanings, fillings and extractions", ""),
        ("Nutrition Classes", ["LH-2700.6000"], "Classes on healthy eating on a budget", ""),
        ("Medicaid Enrollment Help", ["NL-5000.5000"], "Help applying for Medicaid and KidCare", ""),
    ]),
    "mental": (5, ["{place} Behavioral Health", "{noun} Counseling Center", "{noun} Wellness Partners"], [
        ("Outpatient Counseling", ["RP-1400"], "Individual, couples and family therapy", ""),
        ("Child and Adolescent Counseling", ["RP-1400.8000-050"], "Therapy for children and teens", ""),
        ("Crisis Counseling Line", ["RP-1500.1400-800"], "Talk to a trained counselor any time", "24h"),
        ("Text Crisis Support", ["RP-1500.1400"], "Text with a trained crisis counselor", "24h"),
    ]),
    "substance": (2, ["{noun} Recovery Center", "{place} Treatment Services"], [
        ("Outpatient Substance Use Treatment", ["RX"], "Counseling and medication-assisted treatment", ""),
        ("Residential Detox", ["RX-1700.1700"], "Medically supervised detox", "24h"),
    ]),
    "employment": (4, ["{place} Workforce Connection", "{noun} Career Center", "{noun} Reentry Network"], [
        ("Job Search Assistance", ["ND-1500"], "Help with applications, interviews and job leads", ""),
        ("Reentry Employment Services", ["ND-1500"], "Job readiness and placement with second-chance employers", ""),
        ("Youth Employment Program", ["ND-1500"], "Paid summer jobs for ages 16 to 24", ""),
    ]),
    "senior": (4, ["{place} Senior Services", "{place} Area Senior Center"], [
        ("Home Delivered Meals", ["BD-5000.3500"], "Hot meals delivered weekdays to homebound seniors", ""),
        ("Senior Center Activities", ["TC-5500.8000"], "Lunch, exercise and social activities", ""),
        ("Medical Appointment Rides", ["BT-4500.6500-280"], "Door-to-door rides to medical appointments", ""),
    ]),
    "family": (4, ["{noun} Family Resource Center", "Kids First of {place}", "{place} Family Success Center"], [
        ("Parenting Classes", ["PH-6100.1800"], "Evening classes for parents of young children", ""),
        ("Family Case Management", ["PH-1000"], "A case manager helps families make and follow a plan", ""),
        ("After-School Tutoring", ["PH-1250.1800"], "Homework help for grades K-8", ""),
    ]),
    "government": (2, ["{place} Human Services Department", "{place} Community Services Division"], [
        ("Emergency Rental Assistance", ["BH-3800.7000"], "One-time help with past-due rent", ""),
        ("Utility Bill Assistance (LIHEAP)", ["BV-8900.9300"], "Help paying electric bills for low-income households", ""),
        ("Family Case Management", ["PH-1000"], "Case management to stabilize housing and income", ""),
        ("Information and Referral", ["TJ-3000"], "Help finding services by phone or in person", ""),
    ]),
    "immigrant": (3, ["{place} Haitian Community Center", "{place} Vietnamese American Association", "Filipino-American Community Services of {place}", "{place} Latin American Community Center"], [
        ("Citizenship and ESL Classes", ["HH-0500.1500"], "Free English and citizenship classes", ""),
        ("Benefits Enrollment Help", ["NL-5000.5000", "TJ-3000"], "Help applying for Medicaid, SNAP and cash assistance", ""),
        ("Translation and Document Assistance", ["TJ-3000"], "Help reading and filling in forms", ""),
    ]),
    "material": (2, ["{place} Clothing Closet", "{church} Thrift Ministry"], [
        ("Free Clothing", ["BM-6500.1500"], "Clothing and shoes for adults and children", ""),
    ]),
    "utility": (1, ["{noun} Utility Assistance Fund"], [
        ("Electric Bill Assistance", ["BV-8900.9300"], "One-time payment toward an electric bill with a shut-off notice", ""),
    ]),
}
ALT_NAMES = {  # community-language names for immigrant organizations (correct UTF-8)
    "Haitian": "Sant Kominotè Ayisyen {place}", "Vietnamese": "Hội Người Việt {place}",
    "Filipino": "Samahang Pilipino ng {place}", "Latin": "Centro Comunitario Latino de {place}",
}
COMMUNITY_LANGS = {
    "Haitian": ["Creole", "Haitian Creole", "Kreyòl", "ht", "Creole"], "Vietnamese": ["Vietnamese", "vi", "vie"],
    "Filipino": ["Tagalog", "Filipino", "tl"], "Latin": ["Spanish", "es", "spa", "Español"],
}
LANG_FORMS = [  # (raw value, weight) for everyone else
    ("Spanish", 30), ("es", 8), ("spa", 2), ("es-US", 2), ("English", 6), ("en", 4), ("Creole", 10),
    ("Haitian Creole", 6), ("Kreyòl", 3), ("ht", 2), ("Vietnamese", 3), ("Tagalog", 2), ("Filipino", 1),
    ("Chinese (Mandarin)", 2), ("Mandarin", 1), ("Cantonese", 1), ("Portuguese", 3), ("French", 3),
    ("Russian", 1), ("ASL", 2), ("American Sign Language", 1),
]
CODES = {  # raw language value -> code, for --clean
    "Spanish": "es", "spa": "es", "es-US": "es", "Español": "es", "English": "en", "Creole": "ht", "Haitian Creole": "ht",
    "Kreyòl": "ht", "Vietnamese": "vi", "vie": "vi", "Tagalog": "tl", "Filipino": "tl", "Chinese (Mandarin)": "zh",
    "Mandarin": "zh", "Cantonese": "zh", "Portuguese": "pt", "French": "fr", "Russian": "ru", "ASL": "asl",
    "American Sign Language": "asl",
}
FLAVOR = [  # sentences with typographic characters, so mis-decoding shows
    "It’s free and confidential.", "Don’t wait until you’re out of options – call us.", "Bring your ID; we’ll do the rest.",
    "Se habla español.", "Nou pale kreyòl.", "Chúng tôi nói tiếng Việt.", "Help with your résumé is available.",
    "Walk-ins welcome – no appointment needed.", "“No one is turned away.”",
]
ELIGIBILITY = [
    "Broward County residents", "Adults 18 and older", "Adults 60 and older", "Low income households",
    "Families with children under 18", "Uninsured adults 18–64", "Veterans and their families",
    "Survivors of domestic violence", "Households at or below 80% of area median income", "Everyone",
    "Youth ages 16–24", "People experiencing homelessness",
]
DOCUMENTS = ["Photo ID", "Proof of address", "Proof of income", "Social Security card", "Eviction notice", "Lease",
             "Most recent electric bill", "Birth certificates for children", "DD-214"]
PAYMENTS = ["Medicaid", "Medicare", "Private insurance", "Cash", "Sliding scale", "Credit card"]
ACCESS = [("wheelchair", "Ramp at the main entrance"), ("elevator", ""), ("accessible restroom", ""),
          ("TTY/videophone", "Videophone in the lobby"), ("parking", "Accessible parking by the door")]
FUNDERS = ["Broward County general fund", "United Way", "HUD Emergency Solutions Grant", "LIHEAP (federal block grant)",
           "USDA TEFAP commodities", "Florida Department of Children and Families", "Private donations"]

DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ABBR3 = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
ABBR4 = ["Mon", "Tues", "Wed", "Thurs", "Fri", "Sat", "Sun"]

# Share of rows carrying each flaw. Each flaw with a share above 0 appears at least once.
RATES = {
    "service_no_status": 0.03, "service_no_name": 0.0015, "service_orphan": 0.01, "sal_missing_location": 0.002,
    "loc_virtual": 0.04, "loc_zip_only": 0.10, "loc_no_street": 0.015, "loc_bad_coordinates": 0.001,
    "addr_country_blank": 0.25, "addr_country_usa": 0.03, "phone_no_number": 0.015, "phone_on_sal": 0.08,
    "elig_no_service": 0.01, "text_newline": 0.05, "text_mojibake": 0.03, "text_cp437": 0.01,
    "url_no_scheme": 0.18, "url_is_email": 0.03, "sched_no_id": 0.25, "sched_closed_days": 0.06,
}


def pick(rng, weighted):
    """Choice from [(value, weight)]."""
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for v, w in weighted:
        x -= w
        if x < 0:
            return v
    return weighted[-1][0]


def some(rng, population, rate, clean):
    """Exactly max(1, round(rate * n)) members of population (none when clean)."""
    population = list(population)
    if clean or rate <= 0 or not population:
        return set()
    k = min(len(population), max(1, round(rate * len(population))))
    return set(rng.sample(population, k))


CP1252 = [bytes([i]).decode("cp1252", errors="ignore") or chr(i) for i in range(256)]


def mojibake(s):
    """UTF-8 text read as Windows-1252 (0x81, 0x8D, 0x8F, 0x90, 0x9D pass through as C1 controls)."""
    return "".join(CP1252[b] for b in s.encode("utf-8"))


def cp437_mojibake(s):
    """The 211 classic: UTF-8 punctuation read as CP437, then Γ flattened to G."""
    for good, bad in (("’", "GÇÖ"), ("‘", "GÇÿ"), ("“", "GÇ£"), ("”", "GÇ¥"), ("–", "GÇô"), ("—", "GÇö")):
        s = s.replace(good, bad)
    return s


def slug(name):
    """A plausible domain label: "Helping Hands Rescue Mission" -> "helpinghandsrescue"."""
    words = [w for w in re.findall(r"[a-z0-9]+", name.lower().replace("st.", "saint")) if w not in ("of", "the", "and", "de", "ng")]
    out = ""
    for w in words:
        if len(out) >= 14:
            break
        out += w
    return out


def fmt_time(minutes, style):
    h, m = divmod(minutes, 60)
    if style == "HH:MM":
        return f"{h:02d}:{m:02d}"
    if style == "H:MM":
        return f"{h}:{m:02d}"
    if style == "HH:MM:SS":
        return f"{h:02d}:{m:02d}:00"
    h12 = h % 12 or 12
    ap = "am" if h < 12 else "pm"
    if style == "9am":
        return f"{h12}{ap}" if m == 0 else f"{h12}:{m:02d}{ap}"
    if style == "9:00 AM":
        return f"{h12}:{m:02d} {ap.upper()}"
    if style == "9:00 a.m.":
        return f"{h12}:{m:02d} {ap[0]}.m."
    return f"{h12}:{m:02d}{ap}"  # "9:00am"


def fmt_day(d, style):  # d: 1 = Monday
    if style == "number":
        return str(d)
    if style == "Name":
        return DAY_NAMES[d - 1]
    if style == "name":
        return DAY_NAMES[d - 1].lower()
    if style == "NAME":
        return DAY_NAMES[d - 1].upper()
    if style == "Abbr":
        return ABBR3[d - 1]
    return ABBR4[d - 1]


# ---------------------------------------------------------------- generation

def generate(n_services, n_orgs, seed, clean):
    rng = random.Random(seed)
    R = {k: (0.0 if clean else v) for k, v in RATES.items()}
    T = {stem: [] for stem in COLUMNS}
    text_fixes = {"newline": 0, "mojibake": 0}
    n_orgs = max(1, min(n_orgs, n_services))

    # organizations
    domains = [(d, w) for d, (w, _, _) in DOMAINS.items()]
    orgs = []
    for oid in range(1, n_orgs + 1):
        dom = pick(rng, domains)
        pattern = rng.choice(DOMAINS[dom][1])
        place = rng.choice(PLACES)
        name = pattern.format(place=place, noun=rng.choice(NOUNS), church=rng.choice(CHURCHES))
        community = next((c for c in ALT_NAMES if c in name), None)
        alt = ALT_NAMES[community].format(place=place) if community else ""
        desc = f"{name} serves {place} and the surrounding area."
        if rng.random() < 0.3:
            desc += " " + rng.choice(FLAVOR)
        site = slug(name)
        url = rng.choice([f"https://www.{site}.org", f"https://{site}.org", f"http://www.{site}.org"]) if rng.random() < 0.75 else ""
        email = f"info@{site}.org" if rng.random() < 0.45 else ""
        gov = dom == "government"
        orgs.append({"id": oid, "dom": dom, "community": community, "row": [
            oid, name, alt, desc if clean or rng.random() > 0.02 else "", email, url,
            "" if gov else "501(c)(3)", f"{rng.randint(59, 65)}-{rng.randint(1000000, 9999999)}" if rng.random() < 0.5 else "",
            rng.randint(1950, 2020) if rng.random() < 0.7 else "", "government" if gov else "nonprofit"]})

    # how many services each organization runs (every one runs at least one)
    counts = [1] * n_orgs
    weights = [rng.paretovariate(1.4) for _ in range(n_orgs)]
    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    for _ in range(n_services - n_orgs):
        x = rng.random() * acc
        lo, hi = 0, n_orgs - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        counts[lo] += 1

    # locations: 1 to 6 per organization, more for bigger ones
    locs = []  # dicts
    for o in orgs:
        k = min(6, 1 + (counts[o["id"] - 1] > 2) + (counts[o["id"] - 1] > 8) + (rng.random() < 0.35) + (rng.random() < 0.1))
        o["locs"] = []
        for j in range(k):
            lid = len(locs) + 1
            z, zlat, zlon, city = rng.choice(ZIPS)
            oname = o["row"][1]
            lname = oname if j == 0 else f"{oname} - {city}" if rng.random() < 0.7 else f"{oname} - {rng.choice(STREETS).split(' ', 1)[-1]} Site"
            locs.append({"id": lid, "org": o["id"], "name": lname, "zip": z, "city": city,
                         "lat": round(zlat + rng.uniform(-0.012, 0.012), 6), "lon": round(zlon + rng.uniform(-0.012, 0.012), 6),
                         "street": f"{rng.randint(100, 9999)} {rng.choice(STREETS)}", "kind": "physical"})
            o["locs"].append(lid)
    all_lids = [l["id"] for l in locs]
    virtual = some(rng, all_lids, R["loc_virtual"], clean)
    rest = [i for i in all_lids if i not in virtual]
    zip_only = some(rng, rest, R["loc_zip_only"], clean)
    no_street = some(rng, sorted(zip_only), R["loc_no_street"] / R["loc_zip_only"] if zip_only else 0, clean)
    bad_coords = some(rng, [i for i in rest if i not in zip_only], R["loc_bad_coordinates"], clean)
    for l in locs:
        i = l["id"]
        if i in virtual:
            l["kind"] = "virtual"
            l["name"] = f"{orgs[l['org'] - 1]['row'][1]} {rng.choice(['Hotline', 'Telehealth', 'Virtual Services', 'Phone Line'])}"
        elif i in zip_only:
            l["kind"] = "zip"
        if i in no_street:
            l["street"] = ""
        lat, lon = ("", "") if l["kind"] != "physical" else (l["lat"], l["lon"])
        if i in bad_coords:
            lat = rng.choice([999, 99.5, -999])
        desc = "Address withheld for safety." if i in no_street else ""
        transport = rng.choice(["Bus 11 or 22.", "Near the Broward Central Terminal.", "Free parking behind the building."]) if rng.random() < 0.15 else ""
        T["locations"].append([i, l["org"], l["name"], "", desc, transport, lat, lon])

    # addresses
    blank_country = some(rng, [i for i in all_lids if i not in virtual], R["addr_country_blank"], clean)
    usa_country = some(rng, [i for i in all_lids if i not in virtual and i not in blank_country], R["addr_country_usa"], clean)
    aid = 0
    for l in locs:
        i = l["id"]
        if i in virtual:
            if rng.random() < 0.7:  # an all-empty row, as exports write for hotlines
                aid += 1
                T["physical_addresses"].append([aid, i] + [""] * 10)
            continue
        aid += 1
        country = "" if i in blank_country else "USA" if i in usa_country else "US"
        suite = f"Suite {rng.randint(100, 450)}" if rng.random() < 0.15 else ""
        T["physical_addresses"].append([aid, i, "", l["street"], suite, "", "", l["city"],
                                        "Broward County" if rng.random() < 0.6 else "", "FL", l["zip"], country])
    pid = 0
    for l in locs:
        if l["kind"] != "virtual" and rng.random() < 0.08:
            pid += 1
            T["postal_addresses"].append([pid, l["id"], rng.choice(["", "Accounts Payable", "Intake"]),
                                          f"PO Box {rng.randint(1000, 99999)}", "", "", "", l["city"], "", "FL", l["zip"],
                                          "" if rng.random() < 0.25 and not clean else "US"])

    # services
    services = []
    sid = 0
    for o in orgs:
        templates = DOMAINS[o["dom"]][2]
        for j in range(counts[o["id"] - 1]):
            sid += 1
            name, codes, desc, kind = templates[j % len(templates)]
            if j >= len(templates):
                name = f"{name} - {rng.choice(PLACES)}"
            services.append({"id": sid, "org": o["id"], "name": name, "codes": codes, "desc": desc, "kind": kind})
    sids = [s["id"] for s in services]
    no_status = some(rng, sids, R["service_no_status"], clean)
    no_name = some(rng, sids, R["service_no_name"], clean)
    orphans = some(rng, [i for i in sids if i not in no_name], R["service_orphan"], clean)
    orphan_org = {i: n_orgs + 1 + k % 5 * 7 for k, i in enumerate(sorted(orphans))}  # ids above the last organization

    # programs: a few organizations group services
    programs = {}
    for o in orgs:
        if counts[o["id"] - 1] >= 3 and rng.random() < 0.15:
            programs[o["id"]] = len(programs) + 1
            T["programs"].append([programs[o["id"]], o["id"], f"{DOMAINS[o['dom']][2][0][0].split(' (')[0]} Programs", ""])

    sal_rows = []  # [id, service, location]
    for s in services:
        o = orgs[s["org"] - 1]
        own = o["locs"]
        if s["kind"] in ("virtual", "24h") and any(i in virtual for i in own):
            chosen = [next(i for i in own if i in virtual)]
        else:
            k = min(len(own), pick(rng, [(1, 70), (2, 22), (3, 8)]))
            chosen = rng.sample(own, k)
        if rng.random() < 0.03:  # also offered at a partner's site
            other = rng.choice(all_lids)
            if other not in chosen:
                chosen.append(other)
        s["sals"] = []
        for lid in chosen:
            sal_rows.append([len(sal_rows) + 1, s["id"], lid])
            s["sals"].append((len(sal_rows), lid))
    for _ in range(len(some(rng, range(len(sal_rows)), R["sal_missing_location"], clean))):
        s = rng.choice([s for s in services if s["id"] not in no_name])
        sal_rows.append([len(sal_rows) + 1, s["id"], len(locs) + 1 + rng.randint(0, 50)])  # no such location
    for r in sal_rows:
        T["services_at_location"].append(r + ["Walk-ins on Tuesdays only." if rng.random() < 0.02 else ""])

    for s in services:
        i = s["id"]
        o = orgs[s["org"] - 1]
        desc = s["desc"] + ("." if rng.random() < 0.6 else f" in {rng.choice(PLACES)}.")
        if rng.random() < 0.35:
            desc += " " + rng.choice(FLAVOR)
        site = slug(o["row"][1])
        url = f"https://www.{site}.org/{slug(s['name'])[:12]}" if rng.random() < 0.15 else ""
        status = "" if i in no_status else pick(rng, [("active", 96), ("inactive", 1), ("temporarily closed", 3)])
        fees = rng.choice(["Free", "Free", "Free", "Sliding fee scale.", "$2 per ride", "Medicaid, Medicare, private insurance, sliding scale."])
        app = rng.choice(["Walk in.", "Call for an appointment.", "Apply online or by phone.", "Referral required.", "Call the intake line."])
        s["row"] = [i, orphan_org.get(i, s["org"]), programs.get(s["org"], "") if rng.random() < 0.7 else "",
                    "" if i in no_name else s["name"], "", desc, url, "", status,
                    "Interpreters available" if rng.random() < 0.2 else "", app,
                    rng.choice(["", "", "1-2 weeks", "Waiting list"]), fees, "", "", ""]
        T["services"].append(s["row"])

    # URL flaws: no scheme, or an email address where the URL goes
    org_url_rows = [o["row"] for o in orgs if o["row"][5]]
    svc_url_rows = [s["row"] for s in services if s["row"][6]]
    for r in some(rng, range(len(org_url_rows)), R["url_no_scheme"], clean):
        org_url_rows[r][5] = re.sub(r"^https?://", "", org_url_rows[r][5])
    for r in some(rng, range(len(svc_url_rows)), R["url_no_scheme"], clean):
        svc_url_rows[r][6] = re.sub(r"^https?://(www\.)?", "", svc_url_rows[r][6])
    for r in some(rng, [k for k, o in enumerate(orgs) if not o["row"][4]], R["url_is_email"], clean):
        row = orgs[r]["row"]
        row[5] = f"intake@{slug(row[1])}.org"
    for o in orgs:
        T["organizations"].append(o["row"])

    # contacts
    contacts = []
    for s in services:
        if rng.random() < 0.12:
            cid = len(contacts) + 1
            contacts.append(cid)
            T["contacts"].append([cid, s["row"][1], s["id"], "", rng.choice(["Intake Desk", "Program Office", "Front Desk", "Case Management Unit"]),
                                  rng.choice(["Intake Coordinator", "Program Supervisor", "Case Manager", ""]), "",
                                  f"intake@{slug(orgs[s['org'] - 1]['row'][1])}.org" if rng.random() < 0.5 else ""])

    # phones: [location, service, organization, contact, sal, number, ext, type, language, description]
    phones = []
    def number():
        return rng.choice(["({a}) 555-01{x:02d}", "{a}-555-01{x:02d}", "{a}.555.01{x:02d}", "{a}55501{x:02d}", "1-800-555-01{x:02d}"]).format(
            a=rng.choice(["954", "754", "954", "954"]), x=rng.randint(0, 99))
    def langs_for(o):
        if o["community"] and rng.random() < 0.7:
            return rng.choice(COMMUNITY_LANGS[o["community"]])
        return pick(rng, LANG_FORMS)
    def phone_langs(o):
        if rng.random() >= 0.2:
            return ""
        sep = rng.choice([", ", "; "])
        vals = []
        for _ in range(rng.randint(1, 3)):
            v = CODES.get(langs_for(o), "en") if clean else langs_for(o)
            if v not in vals:
                vals.append(v)
        return sep.join(vals)
    for o in orgs:
        if rng.random() < 0.6:
            phones.append(["", "", o["id"], "", "", number(), "", "voice", "", "Main office"])
    for l in locs:
        if l["kind"] != "virtual" and rng.random() < 0.3:
            phones.append([l["id"], "", "", "", "", number(), "", "voice", "", rng.choice(["Front desk", "Appointments", ""])])
    all_sal_ids = [sal_id for s in services for sal_id, _ in s["sals"]]
    for sal_id in sorted(some(rng, all_sal_ids, R["phone_on_sal"], clean)):
        phones.append(["", "", "", "", sal_id, number(), "", "voice", "", "Line for this location"])
    for s in services:
        o = orgs[s["org"] - 1]
        for _ in range(pick(rng, [(0, 15), (1, 60), (2, 25)])):
            typ = "text" if s["name"].startswith("Text") else pick(rng, [("voice", 90), ("fax", 4), ("textphone", 3), ("video", 1), ("text", 2)])
            phones.append(["", s["id"], "", "", "", number(), str(rng.randint(100, 399)) if rng.random() < 0.05 else "", typ, phone_langs(o), ""])
    for cid in contacts:
        if rng.random() < 0.3:
            phones.append(["", "", "", cid, "", number(), str(rng.randint(1, 9)), "voice", "", "Direct line"])
    for k in some(rng, range(len(phones)), R["phone_no_number"], clean):
        phones[k][5] = ""
    for k, p in enumerate(phones, 1):
        T["phones"].append([k] + p + [""])

    # regular schedules
    sched = []  # [id, service, location, sal, weekday, opens, closes]
    schedule_groups = []
    loc_done = set()
    for s in services:
        if s["kind"] == "overnight":
            days, opens, closes = list(range(1, 8)), rng.choice([19 * 60, 20 * 60]), rng.choice([6 * 60, 7 * 60])
        elif s["kind"] == "24h":
            days, opens, closes = list(range(1, 8)), 0, 23 * 60 + 59
        elif rng.random() < 0.65:
            days = pick(rng, [([1, 2, 3, 4, 5], 55), ([1, 2, 3, 4, 5, 6], 10), (list(range(1, 8)), 10), (None, 25)])
            if days is None:
                days = sorted(rng.sample(range(1, 7), rng.randint(1, 3)))
            opens, closes = pick(rng, [((9 * 60, 17 * 60), 40), ((8 * 60 + 30, 16 * 60 + 30), 20), ((8 * 60, 12 * 60), 10),
                                       ((13 * 60, 17 * 60), 10), ((10 * 60, 14 * 60), 10), ((11 * 60 + 30, 13 * 60), 5),
                                       ((18 * 60, 20 * 60), 5)])
        else:
            continue
        where = pick(rng, [("service", 70), ("sal", 15), ("location", 15)])
        link = ["", s["id"], "", ""]
        if where == "sal" and s["sals"]:
            link = ["", "", "", s["sals"][0][0]]
        elif where == "location" and s["sals"] and s["sals"][0][1] not in loc_done:
            loc_done.add(s["sals"][0][1])
            link = ["", "", s["sals"][0][1], ""]
        schedule_groups.append((link, days, opens, closes))
    no_id_groups = some(rng, range(len(schedule_groups)), R["sched_no_id"], clean)
    closed_groups = some(rng, [g for g, (_, d, _, _) in enumerate(schedule_groups) if len(d) < 7], R["sched_closed_days"], clean)
    for g, (link, days, opens, closes) in enumerate(schedule_groups):
        if clean:
            dstyle, tstyle = "number", "HH:MM"
        else:
            dstyle = pick(rng, [("number", 45), ("Name", 25), ("name", 8), ("NAME", 3), ("Abbr", 14), ("Abbr4", 5)])
            tstyle = pick(rng, [("HH:MM", 30), ("H:MM", 15), ("HH:MM:SS", 15), ("9:00am", 20), ("9am", 10), ("9:00 AM", 7), ("9:00 a.m.", 3)])
        for d in days:
            sched.append([None if g in no_id_groups else 0] + link[1:] + [fmt_day(d, dstyle), fmt_time(opens, tstyle), fmt_time(closes, tstyle)])
        if g in closed_groups:
            for d in (6, 7):
                if d not in days:
                    sched.append([None if g in no_id_groups else 0] + link[1:] + [fmt_day(d, dstyle), "", ""])
    n = 0
    for r in sched:
        if r[0] is None:
            r[0] = ""
        else:
            n += 1
            r[0] = n
        T["regular_schedules"].append(r)

    hid = 0
    for s in services:
        if rng.random() < 0.04:
            for day in rng.sample(["2025-11-27", "2025-12-24", "2025-12-25", "2026-01-01"], rng.randint(1, 2)):
                hid += 1
                closed = rng.choice(["true", "TRUE", "1", "yes"])
                T["holiday_schedules"].append([hid, s["id"], "", "", closed, "", "", day, day])

    # languages
    lid_ = 0
    for s in services:
        o = orgs[s["org"] - 1]
        if rng.random() < (0.8 if o["community"] else 0.3):
            vals = []
            for _ in range(rng.randint(1, 3)):
                v = langs_for(o)
                if clean:
                    v = CODES.get(v, v)
                if v not in vals:
                    vals.append(v)
            for v in vals:
                lid_ += 1
                T["languages"].append([lid_, s["id"], "", v])
    for l in locs:
        if rng.random() < 0.05:
            lid_ += 1
            T["languages"].append([lid_, "", l["id"], pick(rng, LANG_FORMS) if not clean else "es"])

    # taxonomy
    names = {c: nm for c, nm, _ in TAXONOMY}
    for c, nm, p in TAXONOMY:
        T["taxonomy"].append([c, nm, p, names.get(p, ""), VOCABULARY])
    tid = 0
    for s in services:
        if rng.random() < 0.02:
            continue
        for c in s["codes"]:
            tid += 1
            T["services_taxonomy"].append([tid, s["id"], c, ""])

    # eligibility and the other service details
    elig = []
    for s in services:
        if rng.random() < 0.45:
            elig.append([s["id"], rng.choice(ELIGIBILITY)])
    for k in some(rng, range(len(elig)), R["elig_no_service"], clean):
        elig[k][0] = ""
    for k, e in enumerate(elig, 1):
        T["eligibility"].append([k] + e)
    for s in services:
        if rng.random() < 0.3:
            T["service_areas"].append([len(T["service_areas"]) + 1, s["id"], rng.choice(["Broward County", "Broward County", "Florida", rng.choice(ZIPS)[3]]), ""])
        if rng.random() < 0.25:
            for d in rng.sample(DOCUMENTS, rng.randint(1, 3)):
                T["required_documents"].append([len(T["required_documents"]) + 1, s["id"], d])
        if orgs[s["org"] - 1]["dom"] in ("health", "mental", "substance") and rng.random() < 0.5:
            for p in rng.sample(PAYMENTS, rng.randint(1, 4)):
                T["payments_accepted"].append([len(T["payments_accepted"]) + 1, s["id"], p])
        if rng.random() < 0.04:
            T["funding"].append([len(T["funding"]) + 1, "", s["id"], rng.choice(FUNDERS)])
    for o in orgs:
        if rng.random() < 0.1:
            T["funding"].append([len(T["funding"]) + 1, o["id"], "", rng.choice(FUNDERS)])
    for l in locs:
        if l["kind"] != "virtual" and rng.random() < 0.3:
            a, d = rng.choice(ACCESS)
            T["accessibility_for_disabilities"].append([len(T["accessibility_for_disabilities"]) + 1, l["id"], a, d])
    for s in services[:: max(1, len(services) // max(1, len(services) // 20))]:
        T["metadata"].append([len(T["metadata"]) + 1, s["id"], "2025-09-30T16:45:00Z", rng.choice(["create", "update"]),
                              rng.choice(["", "description", "status"]), "", "", "Resource specialist"])

    # text flaws: a literal \n, and mis-decoded UTF-8
    svc_rows = T["services"]
    for k in some(rng, range(len(svc_rows)), R["text_newline"], clean):
        svc_rows[k][5] = svc_rows[k][5].replace(". ", ".\\n", 1) if ". " in svc_rows[k][5] else svc_rows[k][5] + "\\nCall first."
        text_fixes["newline"] += 1
    for k in some(rng, range(len(svc_rows)), R["text_newline"] / 2, clean):
        svc_rows[k][10] = svc_rows[k][10].rstrip(".") + ".\\nBring photo ID."
        text_fixes["newline"] += 1
    cells = [(r, 5) for r in svc_rows] + [(r, 3) for r in T["organizations"]] + [(r, 2) for r in T["organizations"]] + [(r, 2) for r in T["eligibility"]]
    typographic = [c for c in cells if any(ch in c[0][c[1]] for ch in "’‘“”–—")]
    # Mis-decode only Latin-1 letters and typographic punctuation (the cases EXPECTED.md lists);
    # Vietnamese stays correct UTF-8, which a repair must leave alone.
    western = lambda v: all(ord(ch) < 0x100 or ch in "’‘“”–—" for ch in v) and any(ord(ch) > 127 for ch in v)
    accented = [c for c in cells if western(c[0][c[1]])]
    cp437 = some(rng, range(len(typographic)), R["text_cp437"] * len(cells) / max(1, len(typographic)), clean)
    for k in cp437:
        r, col = typographic[k]
        r[col] = cp437_mojibake(r[col])
    accented = [c for c in accented if "GÇ" not in c[0][c[1]]]
    windows = some(rng, range(len(accented)), R["text_mojibake"] * len(cells) / max(1, len(accented)), clean)
    for k in windows:
        r, col = accented[k]
        r[col] = mojibake(r[col])
    text_fixes["mojibake"] = len(cp437) + len(windows)
    return T, text_fixes


# ---------------------------------------------------------------- expected import (rules of EXPECTED.md)

DAYS = {"monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
        "mon": 1, "tue": 2, "tues": 2, "wed": 3, "thu": 4, "thur": 4, "thurs": 4, "fri": 5, "sat": 6, "sun": 7}
TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*(?:([ap])\.?\s*m?\.?)?$", re.I)


def minutes(s):
    m = TIME.match(s.strip())
    if not m or (m.group(2) is None and not m.group(4)):
        return None
    h, mi = int(m.group(1)), int(m.group(2) or 0)
    if m.group(4):
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if m.group(4).lower() == "p" else 0)
    return h * 60 + mi if h < 24 and mi < 60 else None


def expected(T, text_fixes):
    """What a lenient importer keeps, following EXPECTED.md."""
    def rows(stem):
        cols = COLUMNS[stem]
        return [dict(zip(cols, ["" if v is None else str(v) for v in r])) for r in T[stem]]
    out, dropped = {}, {}
    def drop(reason, n=1):
        dropped[reason] = dropped.get(reason, 0) + n
    orgs = {r["id"] for r in rows("organizations")}
    locs, loc_bad = {}, set()
    for r in rows("locations"):
        if r["latitude"] or r["longitude"]:
            try:
                ok = -90 <= float(r["latitude"]) <= 90 and -180 <= float(r["longitude"]) <= 180
            except ValueError:
                ok = False
            if not ok:
                loc_bad.add(r["id"]); drop("rejected: location coordinates out of range"); continue
        locs[r["id"]] = r
    svcs, svc_bad, status = {}, set(), {}
    orphans = 0
    for r in rows("services"):
        if not r["name"]:
            svc_bad.add(r["id"]); drop("rejected: service has no name"); continue
        st = r["status"] or "active"
        status[st] = status.get(st, 0) + 1
        orphans += r["organization_id"] not in orgs
        svcs[r["id"]] = r
    sals, sal_bad = {}, set()
    for r in rows("services_at_location"):
        if r["service_id"] in svc_bad or r["location_id"] in loc_bad:
            sal_bad.add(r["id"]); drop("dropped with rejected parent"); continue
        if r["location_id"] not in locs or r["service_id"] not in svcs:
            sal_bad.add(r["id"]); drop("rejected: service_at_location names an unknown location"); continue
        sals[r["id"]] = r
    contacts, contact_bad = {}, set()
    def parent(r, links):
        for col, kind in links:
            v = r.get(col, "")
            if not v:
                continue
            bad, good = {"services": (svc_bad, svcs), "locations": (loc_bad, locs), "sal": (sal_bad, sals),
                         "organizations": (set(), orgs), "contacts": (contact_bad, contacts)}[kind]
            if v in bad:
                return None
            if v in good:
                return kind
            return None
        return None
    for r in rows("contacts"):  # before phones: a contact's phones go with it
        if parent(r, [("service_at_location_id", "sal"), ("service_id", "services"), ("organization_id", "organizations")]) is None:
            contact_bad.add(r["id"])
        else:
            contacts[r["id"]] = r
    phone_links = [("contact_id", "contacts"), ("service_at_location_id", "sal"), ("service_id", "services"),
                   ("location_id", "locations"), ("organization_id", "organizations")]
    counts = {}
    by_parent = {}
    phone_langs = 0
    for r in rows("phones"):
        p = parent(r, phone_links)
        if p is None:
            drop("dropped with rejected parent"); continue
        if not r["number"]:
            drop("dropped: phone has no number"); continue
        by_parent[p] = by_parent.get(p, 0) + 1
        phone_langs += sum(1 for x in re.split(r"[,;]", r["language"]) if x.strip())
    out["phones"] = sum(by_parent.values())
    out["phones_by_parent"] = dict(sorted(by_parent.items()))
    out["phone_languages"] = phone_langs
    sched, sched_parent, no_id, overnight = 0, {}, 0, 0
    for r in rows("regular_schedules"):
        p = parent(r, [("service_at_location_id", "sal"), ("service_id", "services"), ("location_id", "locations")])
        if p is None:
            drop("dropped with rejected parent"); continue
        if not r["opens_at"] and not r["closes_at"]:
            drop("dropped: schedule has no hours"); continue
        o, c = minutes(r["opens_at"]), minutes(r["closes_at"])
        d = r["weekday"].strip().lower()
        if o is None or c is None or not (d in DAYS or (d.isdigit() and 1 <= int(d) <= 7)):
            drop("rejected: schedule day or time unreadable"); continue
        sched += 1
        sched_parent[p] = sched_parent.get(p, 0) + 1
        no_id += not r["id"]
        overnight += c < o
    addr = {}
    for stem in ("physical_addresses", "postal_addresses"):
        k = 0
        for r in rows(stem):
            if r["location_id"] in loc_bad:
                drop("dropped with rejected parent"); continue
            if not any(v for c, v in r.items() if c not in ("id", "location_id")):
                drop("dropped: address row is empty"); continue
            k += 1
        addr[stem] = k
    simple = {}
    for stem, links in [("languages", [("service_id", "services"), ("location_id", "locations")]),
                        ("eligibility", [("service_id", "services")]), ("services_taxonomy", [("service_id", "services")]),
                        ("service_areas", [("service_id", "services")]), ("required_documents", [("service_id", "services")]),
                        ("payments_accepted", [("service_id", "services")]),
                        ("funding", [("service_id", "services"), ("organization_id", "organizations")]),
                        ("contacts", [("service_at_location_id", "sal"), ("service_id", "services"), ("organization_id", "organizations")]),
                        ("accessibility_for_disabilities", [("location_id", "locations")]),
                        ("programs", [("organization_id", "organizations")])]:
        k = 0
        for r in rows(stem):
            if parent(r, links) is None:
                if stem == "eligibility" and not r["service_id"]:
                    drop("dropped: eligibility has no service")
                else:
                    drop("dropped with rejected parent")
                continue
            k += 1
        simple[stem] = k
    located = {r["service_id"] for r in sals.values()}
    kinds = {"coordinates": 0, "zip-only": 0, "virtual": 0}
    has_zip = {r["location_id"] for r in rows("physical_addresses") if r["postal_code"]}
    for i, l in locs.items():
        kinds["coordinates" if l["latitude"] else "zip-only" if i in has_zip else "virtual"] += 1
    return {
        "organizations": len(orgs), "services": len(svcs), "locations": len(locs), "location_kinds": kinds,
        "service_status": dict(sorted(status.items())), "services_without_organization": orphans,
        "services_without_location": sum(1 for s in svcs if s not in located),
        "service_at_location": len(sals), "physical_addresses": addr["physical_addresses"],
        "postal_addresses": addr["postal_addresses"], **out,
        "schedules": sched, "schedules_by_parent": dict(sorted(sched_parent.items())),
        "schedules_without_id": no_id, "schedules_overnight": overnight, **simple,
        "taxonomy_terms": len(T["taxonomy"]), "holiday_schedules_not_imported": len(T["holiday_schedules"]),
        "metadata_not_imported": len(T["metadata"]),
        "text_cells_repaired": text_fixes,
        "not_kept": dict(sorted(dropped.items())),
    }


# ---------------------------------------------------------------- output

def render(T):
    files = {}
    for stem, _, cols in TABLES:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(cols.split(","))
        w.writerows(T[stem])
        files[f"data/{stem}.csv"] = buf.getvalue().encode("utf-8")
    resources = []
    for stem, name, cols in TABLES:
        schema = {"fields": [{"name": c, "type": FIELD_TYPES.get(c, "string")} for c in cols.split(",")]}
        if stem != "regular_schedules":
            schema["primaryKey"] = "id"
        resources.append({"name": name, "path": f"data/{stem}.csv", "profile": "tabular-data-resource",
                          "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": schema})
    package = {
        "name": "synthetic-211-directory",
        "title": "Synthetic 211 resource directory (Broward County, FL)",
        "description": "Generated by scripts/gen-hsds1-package.py: invented organizations and services in the HSDS 1.1 layout, with the flaws of real 211 exports.",
        "version": "1.1", "profile": "tabular-data-package", "homepage": "http://docs.openreferral.org",
        "license": {"name": "CC0-1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"},
        "resources": resources,
    }
    files = {"datapackage.json": (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode("utf-8"), **files}
    return files


def main():
    ap = argparse.ArgumentParser(
        prog="gen-hsds1-package.py", description=__doc__,
        epilog="Flaws and their shares: " + ", ".join(f"{k} {v:g}" for k, v in RATES.items())
        + ". Example: scripts/gen-hsds1-package.py --services 4000 --zip /tmp/hsds1-4000.zip --expect",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=4000, metavar="N", help="number of services (default 4000)")
    ap.add_argument("--organizations", type=int, metavar="N", help="number of organizations (default services / 4)")
    ap.add_argument("--seed", type=int, default=211, help="random seed (default 211)")
    ap.add_argument("--out", metavar="DIR", help="write DIR/datapackage.json and DIR/data/*.csv")
    ap.add_argument("--zip", metavar="FILE", help="write a zip: datapackage.json and data/*.csv at its root")
    ap.add_argument("--clean", action="store_true", help="no flaws: a spec-conforming package of the same size")
    ap.add_argument("--expect", action="store_true", help="print, as JSON, what a lenient importer keeps (per EXPECTED.md)")
    ap.add_argument("--quiet", action="store_true", help="no summary on stderr")
    a = ap.parse_args()
    if not a.out and not a.zip and not a.expect:
        ap.error("give --out DIR and/or --zip FILE (or --expect)")
    if a.services < 1:
        ap.error("--services must be at least 1")
    started = time.monotonic()
    T, fixes = generate(a.services, a.organizations or max(1, round(a.services / 4)), a.seed, a.clean)
    files = render(T)
    if a.out:
        for rel, data in files.items():
            path = os.path.join(a.out, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    if a.zip:
        if os.path.dirname(a.zip):
            os.makedirs(os.path.dirname(a.zip), exist_ok=True)
        with zipfile.ZipFile(a.zip, "w", zipfile.ZIP_DEFLATED) as z:
            for rel, data in files.items():
                info = zipfile.ZipInfo(rel, date_time=(2025, 10, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, data)
    if a.expect:
        print(json.dumps(expected(T, fixes), indent=1, ensure_ascii=False))
    if not a.quiet:
        sizes = ", ".join(f"{stem} {len(T[stem])}" for stem, _, _ in TABLES)
        print(f"rows: {sizes}; {sum(len(d) for d in files.values()) / 1e6:.1f} MB in {time.monotonic() - started:.2f}s",
              file=sys.stderr)


if __name__ == "__main__":
    main()
