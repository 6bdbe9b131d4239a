// identity_generate: synthetic customer records for the identity resolution scale benchmark
// (bench/identity-scale, see bench/README.md).
//
//   identity_generate --records 1000000 --seed 42 --out DIR
//
// writes five CSV exports of the same (made-up, US) customer base as five systems hold it, and
// the answer key:
//
//   shop.csv        web shop accounts   customer_id,email,first_name,last_name,phone,address1,
//                                       address2,city,province_code,zip,country_code,birthday,
//                                       created_at
//   pos.csv         till loyalty cards  loyalty_id,first_name,last_name,phone,email,zip,
//                                       birth_date,store,last_visit
//   helpdesk.csv    support requesters  requester_id,name,email,phone,created_at
//   newsletter.csv  email subscribers   subscriber_id,email,first_name,zip,signup_source,
//                                       subscribed_at
//   crm.csv         sales contacts      contact_id,first_name,last_name,email,mobile_phone,
//                                       home_phone,street,city,state,postal_code,birth_date,
//                                       updated_at
//   truth.csv       record_id,entity_id: the person behind every record
//
// Record ids are the source's name and the row's position in its file (shop-1, shop-2...), so
// they are unique across files and say nothing about the person. Rows are shuffled per file.
//
// The people: about one per 2.5 records (400,000 for 1,000,000 records), in households (45 % of
// the people share their home with 1-3 others: same address, mostly the same last name; a
// quarter of those households give a shared landline, one in ten a family email address, in
// some of their records: different people, same phone or email). Each person appears in 1 to
// 5 of the sources (30/25/20/15/10 %), 3 % twice in one of them (a second account). What a
// record holds depends on the source (the columns above; each leaves fields blank at its own
// rates) and on noise:
//
//   - one-edit typos in names, streets, emails and phone digits;
//   - case (the till writes UPPER CASE, people type in lower case) and stray spaces;
//   - the nickname instead of the first name (Bob for Robert), first and last name swapped;
//   - birth dates with day and month swapped, in each source's own format;
//   - street types spelt out or abbreviated, old addresses of people who moved, a second email;
//   - a family email or landline shared by different people, and junk values (test@test.com,
//     n/a, 0000000000) that must never link anyone.
//
// Deterministic for a seed: std::mt19937_64 (its output is fixed by the standard) and integer
// arithmetic only; no std distribution, whose results differ between standard libraries.
// Exit 0; 2 on a bad argument or a file that cannot be written.

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace {

namespace fs = std::filesystem;

[[noreturn]] void Fail(const std::string& message) {
  std::cerr << "identity_generate: " << message << "\n";
  std::exit(2);
}

// --- randomness --------------------------------------------------------------------------

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n), n > 0: rejection of the top partial range, then modulo (exact).
  uint64_t Below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x = engine_();
    while (x >= limit) x = engine_();
    return x % n;
  }
  int Between(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  // True with probability per_mille / 1000.
  bool PerMille(uint64_t per_mille) { return Below(1000) < per_mille; }
  // An index in [0, n) skewed to the low end (the minimum of two draws: P(i) falls linearly),
  // so that the first names of a list are the common ones.
  size_t Skewed(size_t n) {
    return static_cast<size_t>(std::min(Below(n), Below(n)));
  }
  template <class T, size_t N>
  const T& Pick(const std::array<T, N>& list) {
    return list[Below(N)];
  }

 private:
  std::mt19937_64 engine_;
};

// An index drawn by integer weights.
template <size_t N>
size_t Weighted(Rng& rng, const std::array<int, N>& weights) {
  int total = 0;
  for (int w : weights) total += w;
  int x = static_cast<int>(rng.Below(static_cast<uint64_t>(total)));
  for (size_t i = 0; i < N; ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return N - 1;
}

// --- embedded lists ----------------------------------------------------------------------

// Space-separated words, split once.
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
    if (j > i) out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

constexpr std::string_view kFemaleNames = R"(
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra
Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Dorothy
Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole Samantha
Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine Heather Diane Olivia Julie
Joyce Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn Judith Andrea Hannah Megan
Cheryl Jacqueline Martha Madison Teresa Gloria Sara Janice Ann Kathryn Abigail Sophia Frances
Jean Alice Judy Isabella Julia Grace Amber Denise Danielle Marilyn Beverly Charlotte Natalie
Theresa Diana Brittany Doris Kayla Alexis Lori Marie Alexandra Gabriela Priya Mei Fatima Aisha
Yuki Ingrid Siobhan Leticia Rosa Ximena Noor Anh Thanh Esther Miriam Naomi Ruby Hazel Ivy Leah
)";

constexpr std::string_view kMaleNames = R"(
James Robert John Michael David William Richard Joseph Thomas Christopher Charles Daniel Matthew
Anthony Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian George Timothy Ronald Jason
Edward Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon
Benjamin Samuel Gregory Alexander Patrick Frank Raymond Jack Dennis Jerry Tyler Aaron Jose Adam
Nathan Henry Zachary Douglas Peter Kyle Noah Ethan Jeremy Walter Christian Keith Roger Terry
Austin Sean Gerald Carl Harold Dylan Arthur Lawrence Jordan Jesse Bryan Billy Bruce Gabriel
Logan Alan Juan Albert Willie Elijah Wayne Randy Vincent Mason Roy Ralph Bobby Russell Bradley
Philip Eugene Frederick Theodore Nathaniel Carlos Luis Miguel Rahul Wei Hiroshi Ahmed Omar Sven
Liam Declan Mateo Diego Tariq Kwame Minh Duc Yusuf Ibrahim Elias Felix Oscar Hugo Leo Caleb
)";

constexpr std::string_view kLastNames = R"(
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans
Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez
Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks
Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long
Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes
Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin
Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford
Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen
Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw
Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar
Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan
Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart
Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray
Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence
Sandoval Guerrero George Chapman Rios Estrada Ortega Watkins Greene Nunez Wheeler Valdez Harper
Burke Larson Santiago Maldonado Morrison Franklin Carlson Austin Dominguez Carr Lawson Jacobs
OBrien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey Williamson Gilbert Dean Sims
Espinoza Howell Li Wong Reid Hanson Le McCoy Garrett Burton Fuller Wang Weber Welch Rojas Lucas
Marquez Fields Park Yang Little Banks Padilla Day Walsh Bowman Schultz Luna Fowler Mejia Davidson
Acosta Brewer May Holland Juarez Newman Pearson Curtis Cortez Douglas Schneider Joseph Barrett
Navarro Figueroa Keller Avila Wade Molina Stanley Hopkins Campos Barnett Bates Chambers Caldwell
Beck Lambert Miranda Byrd Craig Ayala Lowe Frazier Powers Neal Leonard Gregory Carrillo Sutton
Fleming Rhodes Shelton Schwartz Norris Jennings Watts Duran Walters Cohen McDaniel Moran Parks
Steele Vaughn Becker Holt Barker Terry Hale Leon Benson Haynes Horton Miles Lyons Pham Graves
Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara Fletcher Page McCarthy
Love Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Simon Velasquez
Hardy Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis Robbins Liu Ramsey
Francis Griffith Blair OConnor Cardenas Pacheco Cross Calderon Quinn Moss Swanson Chan Rivas Khan
Rodgers Serrano Fitzgerald Rosales Stevenson Christensen Manning Gill Curry McLaughlin Harmon
McGee Gross Doyle Garner Newton Burgess Reese Walton Blake Trujillo Adkins Brady Goodman Roman
Webster Goodwin Fischer Huang Potter Montoya Todd Wu Hines Mullins Castaneda Malone Cannon Tate
Mack Sherman Hubbard Hodges Zhang Guerra Wolf Valencia Saunders Franco Rowe Gallagher Farmer
Hammond Hampton Townsend Ingram Wise Gallegos Clarke Barton Schroeder Maxwell Waters Logan Camacho
Strickland Norman Colon Parsons Frank Harrington Glover Osborne Buchanan Casey Floyd Patton
Ibarra Ball Tyler Suarez Bowers Orozco Salas Cobb Gibbs Andrade Bauer Conner Moody Escobar
McGuire Lloyd Mueller Hartman French Kramer McBride Pope Lindsey Norton McCormick Sparks Flynn
Yates Hogan Marsh Macias Villanueva Zamora Pratt Stokes Owen Ballard Lang Brock Villarreal Drake
Barrera Cain Pineda Burnett Mercado Santana Shepherd Bautista Ali Shaffer Lamb Trevino McKenzie
Hess Olsen Cochran Morton Nash Wilkins Petersen Briggs Shah Roth Nicholson Holloway Lozano Rangel
Flowers Hoover Short Arias Mora Valenzuela Meyers Weiss Underwood Bass Greer Summers Houston
Carson Morrow Clayton Whitaker Decker Yoder Collier Zuniga Carey Wilcox Melendez Poole Roberson
Larsen Conley Davenport Copeland Massey Lam Huff Rocha Cameron Jefferson Hood Monroe Pittman
Huynh Randall Singleton Kirk Combs Mathis Skinner Bradford Galvan Wall Boone Kirby Wilkinson
Bridges Atkinson Velez Meza Vincent York Hodge Villa Abbott Allison Tapia Gates Chase Sosa
Sweeney Farrell Wyatt Dalton Horn Barron Phelps Yu Dickerson Heath Foley Atkins Bonilla Acevedo
Benitez Zavala Hensley Glenn Cisneros Harrell Shields Rubio Huffman Choi Boyer Garrison Arroyo
Bond Kane Hancock Callahan Dillon Cline Wiggins Grimes Arellano Melton ONeill Savage Ho Beltran
Pitts Parrish Ponce Booth Koch Golden Ware Brennan McDowell Marks Cantu Humphrey Baxter Sawyer
Kowalski Nowak Novak Horvath Rossi Ferrari Esposito Romano Dubois Lefebvre Muller Schafer Jansen
Dijkstra Lindqvist Nilsson Johansson Haddad Nasser Okafor Mensah Adeyemi Tanaka Suzuki Sato
)";

// Nickname of a first name (the first of each line), used now and then instead of it.
constexpr std::string_view kNicknames = R"(
Robert:Bob Robert:Rob William:Bill William:Will Elizabeth:Liz Elizabeth:Beth Katherine:Kate
Katherine:Katie Michael:Mike James:Jim James:Jimmy Jennifer:Jen Richard:Rick Thomas:Tom
Christopher:Chris Daniel:Dan Matthew:Matt Joseph:Joe Anthony:Tony Margaret:Maggie Margaret:Peggy
Patricia:Pat Patricia:Trish Deborah:Debbie Susan:Sue Rebecca:Becky Samuel:Sam Benjamin:Ben
Alexander:Alex Andrew:Andy Jonathan:Jon Nicholas:Nick Steven:Steve Stephen:Steve Timothy:Tim
Edward:Ed Edward:Ted Charles:Charlie Charles:Chuck Victoria:Vicky Jessica:Jess Zachary:Zach
Joshua:Josh Gregory:Greg Kimberly:Kim Stephanie:Steph Abigail:Abby Alexandra:Alex Catherine:Cathy
Christine:Chris Donald:Don Kenneth:Ken Ronald:Ron Lawrence:Larry Gerald:Jerry Raymond:Ray
Douglas:Doug Frederick:Fred Peter:Pete Theodore:Ted Nathaniel:Nate Jacqueline:Jackie
Pamela:Pam Cynthia:Cindy Sandra:Sandy Barbara:Barb Dorothy:Dot Judith:Judy Virginia:Ginny
Gabriel:Gabe Isabella:Bella Olivia:Liv Madison:Maddie Samantha:Sam Kathleen:Kathy Jeffrey:Jeff
Jeremy:Jerry Philip:Phil Eugene:Gene Bradley:Brad Russell:Russ Walter:Walt Harold:Harry
Henry:Hank Albert:Al Arthur:Art Vincent:Vince Nathan:Nate Carolyn:Carol Rachel:Rach
)";

constexpr std::string_view kStreets = R"(
Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Walnut Spring North Ridge Church
Willow Mill Sunset Railroad Jackson Cherry Highland Franklin Lincoln Madison Jefferson Adams
Chestnut Center Forest Meadow River Valley Spruce Birch Poplar Hickory Sycamore Magnolia Dogwood
Laurel Holly Juniper Aspen Cypress Beech Ash Locust Linden Mulberry Orchard Prospect Pleasant
Union Market Water Bridge School College University Academy Liberty Independence Franklin
Grant Monroe Hamilton Clinton Harrison Cleveland Wilson Taylor Pierce Polk Tyler Hayes Garfield
Kennedy Roosevelt Sherman Sheridan Greenwood Fairview Glenwood Lakeview Riverside Woodland
Brookside Hillcrest Westwood Eastwood Northwood Southwood Crestview Bayview Ocean Harbor Shore
Canyon Mesa Desert Prairie Summit Mountain Vista Sierra Cardinal Bluebird Robin Sparrow Heron
Eagle Hawk Falcon Fox Deer Bear Colonial Heritage Pioneer Frontier Country Meadowbrook Stonegate
)";

struct StreetType {
  std::string_view full;
  std::string_view abbr;
};
constexpr std::array<StreetType, 10> kStreetTypes = {{{"Street", "St"},
                                                      {"Avenue", "Ave"},
                                                      {"Road", "Rd"},
                                                      {"Drive", "Dr"},
                                                      {"Lane", "Ln"},
                                                      {"Boulevard", "Blvd"},
                                                      {"Court", "Ct"},
                                                      {"Place", "Pl"},
                                                      {"Way", "Way"},
                                                      {"Terrace", "Ter"}}};

struct City {
  std::string_view name;
  std::string_view state;
  int zip;        // the first ZIP code of the city; others follow it
  int zip_count;  // how many
  int area_code;
};
constexpr std::array<City, 60> kCities = {{
    {"New York", "NY", 10001, 60, 212},     {"Brooklyn", "NY", 11201, 40, 718},
    {"Buffalo", "NY", 14201, 20, 716},      {"Los Angeles", "CA", 90001, 80, 213},
    {"San Diego", "CA", 92101, 40, 619},    {"San Jose", "CA", 95110, 30, 408},
    {"San Francisco", "CA", 94102, 30, 415}, {"Fresno", "CA", 93701, 20, 559},
    {"Sacramento", "CA", 95814, 25, 916},   {"Oakland", "CA", 94601, 20, 510},
    {"Chicago", "IL", 60601, 60, 312},      {"Springfield", "IL", 62701, 10, 217},
    {"Houston", "TX", 77001, 60, 713},      {"Dallas", "TX", 75201, 50, 214},
    {"Austin", "TX", 78701, 40, 512},       {"San Antonio", "TX", 78201, 40, 210},
    {"El Paso", "TX", 79901, 20, 915},      {"Phoenix", "AZ", 85001, 50, 602},
    {"Tucson", "AZ", 85701, 30, 520},       {"Philadelphia", "PA", 19102, 50, 215},
    {"Pittsburgh", "PA", 15201, 30, 412},   {"Jacksonville", "FL", 32202, 30, 904},
    {"Miami", "FL", 33101, 40, 305},        {"Tampa", "FL", 33602, 30, 813},
    {"Orlando", "FL", 32801, 30, 407},      {"Columbus", "OH", 43201, 30, 614},
    {"Cleveland", "OH", 44101, 30, 216},    {"Cincinnati", "OH", 45201, 30, 513},
    {"Indianapolis", "IN", 46201, 30, 317}, {"Charlotte", "NC", 28202, 30, 704},
    {"Raleigh", "NC", 27601, 20, 919},      {"Seattle", "WA", 98101, 40, 206},
    {"Spokane", "WA", 99201, 20, 509},      {"Denver", "CO", 80202, 40, 303},
    {"Boulder", "CO", 80301, 10, 720},      {"Washington", "DC", 20001, 30, 202},
    {"Boston", "MA", 2108, 30, 617},        {"Worcester", "MA", 1601, 10, 508},
    {"Nashville", "TN", 37201, 30, 615},    {"Memphis", "TN", 38103, 30, 901},
    {"Detroit", "MI", 48201, 40, 313},      {"Grand Rapids", "MI", 49503, 20, 616},
    {"Portland", "OR", 97201, 30, 503},     {"Las Vegas", "NV", 89101, 40, 702},
    {"Louisville", "KY", 40202, 30, 502},   {"Baltimore", "MD", 21201, 30, 410},
    {"Milwaukee", "WI", 53202, 30, 414},    {"Madison", "WI", 53703, 15, 608},
    {"Albuquerque", "NM", 87101, 20, 505},  {"Atlanta", "GA", 30303, 40, 404},
    {"Savannah", "GA", 31401, 10, 912},     {"Kansas City", "MO", 64101, 30, 816},
    {"St. Louis", "MO", 63101, 30, 314},    {"Omaha", "NE", 68102, 20, 402},
    {"Minneapolis", "MN", 55401, 30, 612},  {"New Orleans", "LA", 70112, 30, 504},
    {"Salt Lake City", "UT", 84101, 20, 801}, {"Newark", "NJ", 7102, 20, 973},
    {"Hartford", "CT", 6103, 10, 860},      {"Providence", "RI", 2903, 10, 401},
}};

struct EmailDomain {
  std::string_view name;
  int weight;
};
constexpr std::array<EmailDomain, 14> kEmailDomains = {{{"gmail.com", 38},
                                                    {"yahoo.com", 12},
                                                    {"hotmail.com", 8},
                                                    {"outlook.com", 8},
                                                    {"icloud.com", 7},
                                                    {"aol.com", 3},
                                                    {"comcast.net", 3},
                                                    {"proton.me", 2},
                                                    {"msn.com", 2},
                                                    {"live.com", 2},
                                                    {"att.net", 2},
                                                    {"verizon.net", 2},
                                                    {"me.com", 2},
                                                    {"sbcglobal.net", 2}}};
constexpr std::array<std::string_view, 12> kWorkDomains = {
    "acme-corp.com",     "globex.com",      "initech.com",     "umbrella-inc.com",
    "northwind.com",     "contoso.com",     "fabrikam.com",    "wayne-ent.com",
    "stark-industries.com", "hooli.com",    "piedpiper.com",   "vandelay.com"};

constexpr std::array<std::string_view, 6> kJunkEmails = {
    "test@test.com", "n/a", "none", "noemail@example.com", "-", "x@x.com"};
constexpr std::array<std::string_view, 5> kJunkPhones = {"0000000000", "n/a", "1234567890",
                                                         "555-555-5555", "-"};

// --- the people --------------------------------------------------------------------------

struct Address {
  int number = 0;
  int street = 0;  // index in the street list
  int type = 0;    // index in kStreetTypes
  int unit = 0;    // 0: none
  int city = 0;    // index in kCities
  int zip = 0;
};

struct Person {
  uint32_t id = 0;  // 1-based: entity p<id>
  std::string_view first, last, nickname;  // nickname empty when the name has none
  int birth_year = 0, birth_month = 0, birth_day = 0;
  std::string email, alt_email, family_email;
  uint64_t mobile = 0;  // ten digits
  uint64_t landline = 0;
  Address home, old_home;
  bool moved = false;
  int64_t since = 0;  // a day (days since 1970) they became a customer
};

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<size_t>(month - 1)];
}

// Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

// --- text helpers ------------------------------------------------------------------------

void AppendInt(std::string& out, uint64_t value, int width = 0) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  for (int pad = width - static_cast<int>(end - buf); pad > 0; --pad) out += '0';
  out.append(buf, end);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// One edit: a letter replaced, dropped, doubled or two neighbours swapped. Digits are replaced
// by digits, letters by letters (in the case of their neighbour).
void Typo(Rng& rng, std::string& s) {
  if (s.size() < 3) return;
  const size_t i = 1 + rng.Below(s.size() - 1);  // never the first character
  const char c = s[i];
  const bool digit = c >= '0' && c <= '9';
  const bool upper = c >= 'A' && c <= 'Z';
  const auto random_like = [&]() {
    if (digit) return static_cast<char>('0' + rng.Below(10));
    return static_cast<char>((upper ? 'A' : 'a') + rng.Below(26));
  };
  switch (rng.Below(4)) {
    case 0:
      s[i] = random_like();
      break;
    case 1:
      s.erase(i, 1);
      break;
    case 2:
      s.insert(i, 1, random_like());
      break;
    default:
      if (i + 1 < s.size()) std::swap(s[i], s[i + 1]);
      else std::swap(s[i - 1], s[i]);
      break;
  }
}

// A space before, after, or doubled inside.
void StraySpace(Rng& rng, std::string& s) {
  if (s.empty()) return;
  switch (rng.Below(3)) {
    case 0:
      s.insert(0, " ");
      break;
    case 1:
      s += ' ';
      break;
    default: {
      const size_t space = s.find(' ');
      if (space != std::string::npos) s.insert(space, " ");
      else s += "  ";
      break;
    }
  }
}

// --- rendering per source ----------------------------------------------------------------

enum Source : size_t { kShop, kPos, kHelpdesk, kNewsletter, kCrm, kSourceCount };
constexpr std::array<std::string_view, kSourceCount> kSourceNames = {"shop", "pos", "helpdesk",
                                                                     "newsletter", "crm"};
// How often a source is among a person's sources (relative).
constexpr std::array<int, kSourceCount> kSourceWeights = {30, 18, 12, 22, 18};
constexpr std::array<std::string_view, kSourceCount> kHeaders = {
    "customer_id,email,first_name,last_name,phone,address1,address2,city,province_code,zip,"
    "country_code,birthday,created_at",
    "loyalty_id,first_name,last_name,phone,email,zip,birth_date,store,last_visit",
    "requester_id,name,email,phone,created_at",
    "subscriber_id,email,first_name,zip,signup_source,subscribed_at",
    "contact_id,first_name,last_name,email,mobile_phone,home_phone,street,city,state,"
    "postal_code,birth_date,updated_at"};

class Generator {
 public:
  Generator(uint64_t seed, uint64_t records) : rng_(seed), target_(records) {
    female_ = Words(kFemaleNames);
    male_ = Words(kMaleNames);
    last_ = Words(kLastNames);
    streets_ = Words(kStreets);
    female_nicknames_ = NicknamesOf(female_);
    male_nicknames_ = NicknamesOf(male_);
    emails_.reserve(static_cast<size_t>(records / 2));
    phones_.reserve(static_cast<size_t>(records / 2));
    for (auto& out : out_) {
      out.text.reserve(static_cast<size_t>(records / kSourceCount * 150));
    }
  }

  void Run() {
    while (written_ < target_) Household();
  }

  struct Output {
    std::string text;               // rows without their id, each ending in '\n'
    std::vector<uint64_t> ends;     // where each row ends in `text`
    std::vector<uint32_t> persons;  // the person of each row
  };
  const std::array<Output, kSourceCount>& outputs() const { return out_; }
  uint32_t people() const { return people_; }
  uint64_t shared_landlines() const { return shared_landlines_; }
  uint64_t family_emails() const { return family_emails_; }
  Rng& rng() { return rng_; }

 private:
  // For each name of `names`, its nicknames (most have none).
  static std::vector<std::vector<std::string_view>> NicknamesOf(
      const std::vector<std::string_view>& names) {
    std::vector<std::vector<std::string_view>> out(names.size());
    for (std::string_view pair : Words(kNicknames)) {
      const size_t colon = pair.find(':');
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == pair.substr(0, colon)) out[i].push_back(pair.substr(colon + 1));
      }
    }
    return out;
  }

  void Household() {
    static constexpr std::array<int, 4> kSizes = {76, 14, 6, 4};  // 1, 2, 3, 4 people
    const int size = 1 + static_cast<int>(Weighted(rng_, kSizes));
    Address home = RandomAddress(static_cast<int>(rng_.Below(kCities.size())));
    const std::string_view family_name = last_[rng_.Skewed(last_.size())];
    uint64_t landline = 0;
    if (rng_.PerMille(size > 1 ? 250 : 100)) {
      landline = UniquePhone(kCities[static_cast<size_t>(home.city)].area_code);
      if (size > 1) ++shared_landlines_;
    }
    std::string family_email;
    if (size > 1 && rng_.PerMille(100)) {
      static constexpr std::array<std::string_view, 4> kPatterns = {"the", "", "", "team"};
      const std::string_view pattern = rng_.Pick(kPatterns);
      std::string local = pattern == "the" ? "the" + Lower(family_name) + "s"
                          : pattern == "team" ? "team" + Lower(family_name)
                                              : Lower(family_name) + "family";
      family_email = UniqueEmail(local, Domain());
      ++family_emails_;
    }
    for (int i = 0; i < size && written_ < target_; ++i) {
      Person p;
      p.id = ++people_;
      const bool female = rng_.PerMille(510);
      const auto& firsts = female ? female_ : male_;
      const size_t first = rng_.Skewed(firsts.size());
      p.first = firsts[first];
      p.last = size > 1 && rng_.PerMille(850) ? family_name : last_[rng_.Skewed(last_.size())];
      const auto& nicknames = (female ? female_nicknames_ : male_nicknames_)[first];
      if (!nicknames.empty()) p.nickname = nicknames[rng_.Below(nicknames.size())];
      p.birth_year = rng_.Between(1940, 2006);
      p.birth_month = rng_.Between(1, 12);
      p.birth_day = rng_.Between(1, DaysInMonth(p.birth_year, p.birth_month));
      p.home = home;
      if (rng_.PerMille(80)) {  // moved: some sources still have the old address
        p.moved = true;
        const int city = rng_.PerMille(600) ? home.city
                                            : static_cast<int>(rng_.Below(kCities.size()));
        p.old_home = RandomAddress(city);
      }
      // One draw per statement: the order of a call's arguments is unspecified.
      std::string local = PersonalLocal(p);
      p.email = UniqueEmail(local, Domain());
      if (rng_.PerMille(200)) {
        local = PersonalLocal(p);
        const std::string domain =
            rng_.PerMille(500) ? std::string(rng_.Pick(kWorkDomains)) : Domain();
        p.alt_email = UniqueEmail(local, domain);
      }
      p.family_email = family_email;
      const int area = rng_.PerMille(750) ? kCities[static_cast<size_t>(home.city)].area_code
                                          : kCities[rng_.Below(kCities.size())].area_code;
      p.mobile = rng_.PerMille(920) ? UniquePhone(area) : 0;
      p.landline = landline;
      p.since = DaysFromCivil(2018, 1, 1) + static_cast<int64_t>(rng_.Below(2900));
      Records(p);
    }
  }

  Address RandomAddress(int city) {
    Address a;
    a.city = city;
    a.number = rng_.PerMille(700) ? rng_.Between(1, 999) : rng_.Between(1000, 9999);
    a.street = static_cast<int>(rng_.Below(streets_.size()));
    a.type = static_cast<int>(rng_.Below(kStreetTypes.size()));
    a.unit = rng_.PerMille(220) ? rng_.Between(1, 40) : 0;
    const City& c = kCities[static_cast<size_t>(city)];
    a.zip = c.zip + static_cast<int>(rng_.Below(static_cast<uint64_t>(c.zip_count)));
    return a;
  }

  std::string Domain() {
    static const std::array<int, kEmailDomains.size()> weights = [] {
      std::array<int, kEmailDomains.size()> w{};
      for (size_t i = 0; i < w.size(); ++i) w[i] = kEmailDomains[i].weight;
      return w;
    }();
    return std::string(kEmailDomains[Weighted(rng_, weights)].name);
  }

  std::string PersonalLocal(const Person& p) {
    const std::string f = Lower(p.first), l = Lower(p.last);
    std::string local;
    switch (rng_.Below(8)) {
      case 0:
        local = f + "." + l;
        break;
      case 1:
        local = f + l;
        break;
      case 2:
        local = f.substr(0, 1) + l;
        break;
      case 3:
        local = f + "_" + l;
        break;
      case 4:
        local = f.substr(0, 1) + "." + l;
        break;
      case 5:
        local = l + "." + f;
        break;
      case 6:  // john.smith84
        local = f + "." + l;
        AppendInt(local, static_cast<uint64_t>(p.birth_year % 100), 2);
        break;
      default:  // john512
        local = f;
        AppendInt(local, rng_.Below(1000));
        break;
    }
    return local;
  }

  // `local`@`domain`, with digits added until no one else has it.
  std::string UniqueEmail(std::string local, const std::string& domain) {
    std::string email = local + "@" + domain;
    while (!emails_.insert(email).second) {
      local += static_cast<char>('0' + rng_.Below(10));
      email = local + "@" + domain;
    }
    return email;
  }

  uint64_t UniquePhone(int area) {
    while (true) {
      // Exchange 200-999 without N11 and 555; any line number.
      const int exchange = rng_.Between(200, 999);
      if (exchange % 100 == 11 || exchange == 555) continue;
      const uint64_t number = static_cast<uint64_t>(area) * 10000000ULL +
                              static_cast<uint64_t>(exchange) * 10000ULL + rng_.Below(10000);
      if (phones_.insert(number).second) return number;
    }
  }

  // The sources this person is in, and one record in each.
  void Records(const Person& p) {
    static constexpr std::array<int, 5> kCounts = {30, 25, 20, 15, 10};  // 1..5 sources
    const size_t count = 1 + Weighted(rng_, kCounts);
    std::array<int, kSourceCount> weights = kSourceWeights;
    std::array<size_t, kSourceCount> chosen{};
    for (size_t i = 0; i < count; ++i) {
      const size_t s = Weighted(rng_, weights);
      chosen[i] = s;
      weights[s] = 0;
    }
    for (size_t i = 0; i < count && written_ < target_; ++i) Record(p, chosen[i], false);
    // A second account in one of them (another email, an old address...).
    if (rng_.PerMille(30) && written_ < target_) Record(p, chosen[rng_.Below(count)], true);
  }

  // --- fields, with the noise of the source --------------------------------------------

  // How a source writes names: the till in capitals, people as they type.
  std::string Name(std::string_view name, Source source) {
    std::string out(name);
    if (source == kPos) {
      out = Upper(out);
    } else if (source == kNewsletter || source == kHelpdesk || source == kShop) {
      const uint64_t x = rng_.Below(1000);
      if (x < 120) out = Lower(out);
      else if (x < 140) out = Upper(out);
    }
    if (rng_.PerMille(25)) Typo(rng_, out);
    if (rng_.PerMille(15)) StraySpace(rng_, out);
    return out;
  }

  std::string FirstName(const Person& p, Source source) {
    if (!p.nickname.empty() && rng_.PerMille(source == kCrm ? 40 : 120)) {
      return Name(p.nickname, source);
    }
    return Name(p.first, source);
  }

  std::string Email(const Person& p, bool second_account) {
    if (rng_.PerMille(8)) return std::string(rng_.Pick(kJunkEmails));
    std::string email;
    if (!p.family_email.empty() && rng_.PerMille(300)) {
      email = p.family_email;
    } else if (!p.alt_email.empty() && (second_account || rng_.PerMille(250))) {
      email = p.alt_email;
    } else {
      email = p.email;
    }
    const uint64_t x = rng_.Below(1000);
    if (x < 15) {
      Typo(rng_, email);
    } else if (x < 45) {
      if (email[0] >= 'a' && email[0] <= 'z') {  // "John.smith@...", as a phone types it
        email[0] = static_cast<char>(email[0] - 'a' + 'A');
      }
    } else if (x < 55) {
      email = Upper(email);
    }
    if (rng_.PerMille(15)) StraySpace(rng_, email);
    return email;
  }

  std::string Phone(uint64_t number, Source source) {
    if (rng_.PerMille(6)) return std::string(rng_.Pick(kJunkPhones));
    std::string digits;
    AppendInt(digits, number, 10);
    if (rng_.PerMille(15)) {  // one digit wrong (never the area code's first)
      const size_t i = 1 + rng_.Below(9);
      digits[i] = static_cast<char>('0' + (digits[i] - '0' + 1 + rng_.Below(9)) % 10);
    }
    const std::string_view d = digits;
    const auto area = d.substr(0, 3), exchange = d.substr(3, 3), line = d.substr(6);
    std::string out;
    uint64_t style = rng_.Below(10);
    if (source == kPos) style = style < 8 ? 9 : style;  // tills store bare digits
    switch (style) {
      case 0:
      case 1:
      case 2:  // (312) 555-0147
        out.append("(").append(area).append(") ").append(exchange).append("-").append(line);
        break;
      case 3:
      case 4:  // 312-555-0147
        out.append(area).append("-").append(exchange).append("-").append(line);
        break;
      case 5:  // +1 312-555-0147
        out.append("+1 ").append(area).append("-").append(exchange).append("-").append(line);
        break;
      case 6:  // +13125550147
        out.append("+1").append(digits);
        break;
      case 7:  // 312.555.0147
        out.append(area).append(".").append(exchange).append(".").append(line);
        break;
      case 8:  // 13125550147
        out.append("1").append(digits);
        break;
      default:  // 3125550147
        out = digits;
        break;
    }
    return out;
  }

  std::string Street(const Address& a, bool with_unit) {
    std::string out;
    AppendInt(out, static_cast<uint64_t>(a.number));
    out += ' ';
    std::string street(streets_[static_cast<size_t>(a.street)]);
    if (rng_.PerMille(20)) Typo(rng_, street);
    out += street;
    out += ' ';
    const StreetType& type = kStreetTypes[static_cast<size_t>(a.type)];
    out += rng_.PerMille(550) ? type.abbr : type.full;
    if (with_unit && a.unit > 0) {
      static constexpr std::array<std::string_view, 4> kUnits = {", Apt ", " Apt ", " #",
                                                                 " Unit "};
      out += rng_.Pick(kUnits);
      AppendInt(out, static_cast<uint64_t>(a.unit));
    }
    return out;
  }

  std::string Unit(const Address& a) {
    if (a.unit == 0) return "";
    std::string out = rng_.PerMille(500) ? "Apt " : "#";
    AppendInt(out, static_cast<uint64_t>(a.unit));
    return out;
  }

  std::string Zip(const Address& a) {
    std::string out;
    AppendInt(out, static_cast<uint64_t>(a.zip), 5);
    if (rng_.PerMille(100)) {  // ZIP+4
      out += '-';
      AppendInt(out, rng_.Below(10000), 4);
    }
    if (rng_.PerMille(10)) Typo(rng_, out);
    return out;
  }

  // The birth date, sometimes with day and month swapped, in the source's format.
  std::string BirthDate(const Person& p, Source source) {
    int day = p.birth_day, month = p.birth_month, year = p.birth_year;
    if (day <= 12 && day != month && rng_.PerMille(30)) std::swap(day, month);
    if (rng_.PerMille(8)) year += rng_.PerMille(500) ? 1 : -1;
    std::string out;
    if (source == kPos) {  // DD/MM/YYYY
      AppendInt(out, static_cast<uint64_t>(day), 2);
      out += '/';
      AppendInt(out, static_cast<uint64_t>(month), 2);
      out += '/';
      AppendInt(out, static_cast<uint64_t>(year), 4);
    } else {  // YYYY-MM-DD
      AppendInt(out, static_cast<uint64_t>(year), 4);
      out += '-';
      AppendInt(out, static_cast<uint64_t>(month), 2);
      out += '-';
      AppendInt(out, static_cast<uint64_t>(day), 2);
    }
    return out;
  }

  // A time in the 300 days after the person became a customer (2018-01-01 to 2025-12-09, so
  // never later than 2026-10-04): "YYYY-MM-DDTHH:MM:SSZ", or with a space and no zone, or epoch
  // seconds.
  enum class TimeStyle { kIso, kSpace, kEpoch };
  std::string Timestamp(const Person& p, TimeStyle style) {
    const int64_t day = p.since + static_cast<int64_t>(rng_.Below(300));
    const uint64_t second = rng_.Below(86400);
    if (style == TimeStyle::kEpoch) {
      std::string out;
      AppendInt(out, static_cast<uint64_t>(day) * 86400 + second);
      return out;
    }
    int y = 0, m = 0, d = 0;
    CivilFromDays(day, y, m, d);
    std::string out;
    AppendInt(out, static_cast<uint64_t>(y), 4);
    out += '-';
    AppendInt(out, static_cast<uint64_t>(m), 2);
    out += '-';
    AppendInt(out, static_cast<uint64_t>(d), 2);
    out += style == TimeStyle::kIso ? 'T' : ' ';
    AppendInt(out, second / 3600, 2);
    out += ':';
    AppendInt(out, second / 60 % 60, 2);
    out += ':';
    AppendInt(out, second % 60, 2);
    if (style == TimeStyle::kIso) out += 'Z';
    return out;
  }

  // A value, or "" at the given rate.
  bool Blank(uint64_t per_mille) { return rng_.PerMille(per_mille); }

  // Appends one CSV field (quoted when it must be) and the separator before it.
  static void Field(std::string& row, std::string_view value) {
    row += ',';
    if (value.find_first_of(",\"\n\r") == std::string_view::npos) {
      row += value;
      return;
    }
    row += '"';
    for (char c : value) {
      if (c == '"') row += '"';
      row += c;
    }
    row += '"';
  }

  void Record(const Person& p, size_t source_index, bool second_account) {
    const auto source = static_cast<Source>(source_index);
    const Address& address = p.moved && rng_.PerMille(400) ? p.old_home : p.home;
    const City& city = kCities[static_cast<size_t>(address.city)];
    std::string first = FirstName(p, source);
    std::string last = Name(p.last, source);
    if (rng_.PerMille(10)) std::swap(first, last);
    const std::string none;

    std::string row;  // starts with the separator after the id the writer adds
    switch (source) {
      case kShop: {
        Field(row, Blank(10) ? none : Email(p, second_account));
        Field(row, Blank(30) ? none : first);
        Field(row, Blank(30) ? none : last);
        const uint64_t phone = p.mobile ? p.mobile : p.landline;
        Field(row, phone == 0 || Blank(350) ? none : Phone(phone, source));
        const bool shipped = !Blank(200);  // digital goods: no address at all
        Field(row, shipped ? Street(address, false) : none);
        Field(row, shipped ? Unit(address) : none);
        Field(row, shipped ? std::string(city.name) : none);
        Field(row, shipped ? std::string(city.state) : none);
        Field(row, shipped ? Zip(address) : none);
        static constexpr std::array<std::string_view, 10> kCountries = {
            "US", "US", "US", "US", "US", "US", "US", "US", "USA", "United States"};
        Field(row, shipped ? rng_.Pick(kCountries) : "");
        Field(row, Blank(750) ? none : BirthDate(p, source));
        Field(row, Timestamp(p, TimeStyle::kIso));
        break;
      }
      case kPos: {
        Field(row, Blank(100) ? none : first);
        Field(row, Blank(100) ? none : last);
        const uint64_t phone = p.mobile && (p.landline == 0 || rng_.PerMille(700)) ? p.mobile
                                                                                   : p.landline;
        Field(row, phone == 0 || Blank(200) ? none : Phone(phone, source));
        Field(row, Blank(550) ? none : Email(p, second_account));
        Field(row, Blank(300) ? none : Zip(address));
        Field(row, Blank(400) ? none : BirthDate(p, source));
        std::string store(city.state);
        store += '-';
        AppendInt(store, 1 + rng_.Below(12), 2);
        Field(row, store);
        Field(row, Timestamp(p, TimeStyle::kSpace));
        break;
      }
      case kHelpdesk: {
        std::string name;
        if (!Blank(150)) {
          name = rng_.PerMille(100) ? first : first + " " + last;
        }
        Field(row, name);
        Field(row, Blank(30) ? none : Email(p, second_account));
        const uint64_t phone = p.mobile ? p.mobile : p.landline;
        Field(row, phone == 0 || Blank(600) ? none : Phone(phone, source));
        Field(row, Timestamp(p, TimeStyle::kIso));
        break;
      }
      case kNewsletter: {
        Field(row, Email(p, second_account));
        Field(row, Blank(450) ? none : first);
        Field(row, Blank(700) ? none : Zip(address));
        static constexpr std::array<std::string_view, 5> kSignup = {"footer", "popup", "checkout",
                                                                    "contest", "import"};
        Field(row, rng_.Pick(kSignup));
        Field(row, Timestamp(p, TimeStyle::kEpoch));
        break;
      }
      case kCrm: {
        Field(row, Blank(20) ? none : first);
        Field(row, Blank(20) ? none : last);
        Field(row, Blank(150) ? none : Email(p, second_account));
        Field(row, p.mobile == 0 || Blank(250) ? none : Phone(p.mobile, source));
        Field(row, p.landline == 0 || Blank(300) ? none : Phone(p.landline, source));
        const bool has_address = !Blank(300);
        Field(row, has_address ? Street(address, true) : none);
        Field(row, has_address ? std::string(city.name) : none);
        Field(row, has_address ? std::string(city.state) : none);
        Field(row, has_address ? Zip(address) : none);
        Field(row, Blank(350) ? none : BirthDate(p, source));
        Field(row, Timestamp(p, TimeStyle::kIso));
        break;
      }
      case kSourceCount:
        break;
    }
    Output& out = out_[source_index];
    out.text += row;
    out.text += '\n';
    out.ends.push_back(out.text.size());
    out.persons.push_back(p.id);
    ++written_;
  }

  Rng rng_;
  uint64_t target_;
  uint64_t written_ = 0;
  uint32_t people_ = 0;
  uint64_t shared_landlines_ = 0, family_emails_ = 0;
  std::vector<std::string_view> female_, male_, last_, streets_;
  std::vector<std::vector<std::string_view>> female_nicknames_, male_nicknames_;
  std::unordered_set<std::string> emails_;
  std::unordered_set<uint64_t> phones_;
  std::array<Output, kSourceCount> out_;
};

// Buffered writing to a file; fails the program on an error.
class Writer {
 public:
  explicit Writer(const fs::path& path) : path_(path), file_(std::fopen(path.c_str(), "wb")) {
    if (!file_) Fail(path.string() + ": cannot create");
    buffer_.reserve(kChunk + 4096);
  }
  ~Writer() { Close(); }
  std::string& buffer() { return buffer_; }
  void MaybeFlush() {
    if (buffer_.size() >= kChunk) Flush();
  }
  void Close() {
    if (!file_) return;
    Flush();
    if (std::fclose(file_) != 0) Fail(path_.string() + ": write error");
    file_ = nullptr;
  }
  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kChunk = 1 << 20;
  void Flush() {
    if (!buffer_.empty() &&
        std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      Fail(path_.string() + ": write error");
    }
    bytes_ += buffer_.size();
    buffer_.clear();
  }
  fs::path path_;
  std::FILE* file_;
  std::string buffer_;
  uint64_t bytes_ = 0;
};

uint64_t ParseCount(std::string_view flag, std::string_view text) {
  uint64_t value = 0;
  std::string digits;
  for (char c : text) {
    if (c != '_' && c != ',') digits += c;  // 1_000_000, 1,000,000
  }
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    Fail(std::string(flag) + ": '" + std::string(text) + "' is not a non-negative integer");
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t records = 1000000, seed = 42;
  std::string out_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << "usage: identity_generate [--records N] [--seed S] --out DIR\n"
                   "  writes DIR/{shop,pos,helpdesk,newsletter,crm}.csv and DIR/truth.csv\n"
                   "  (record_id,entity_id); N records in all (default 1000000), seed 42\n";
      return 0;
    }
    if (i + 1 >= argc) Fail("missing value after " + std::string(arg) + " (see --help)");
    if (arg == "--records") {
      records = ParseCount(arg, argv[++i]);
    } else if (arg == "--seed") {
      seed = ParseCount(arg, argv[++i]);
    } else if (arg == "--out") {
      out_dir = argv[++i];
    } else {
      Fail("unknown argument '" + std::string(arg) + "' (see --help)");
    }
  }
  if (out_dir.empty()) Fail("--out DIR is required (see --help)");
  if (records == 0 || records > 100000000) Fail("--records must be between 1 and 100000000");

  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) Fail(out_dir + ": " + ec.message());

  Generator generator(seed, records);
  generator.Run();

  // Each file in shuffled order; a row's id is its source and position.
  Writer truth(fs::path(out_dir) / "truth.csv");
  truth.buffer() += "record_id,entity_id\n";
  std::cout << "identity_generate: " << records << " records of " << generator.people()
            << " people, seed " << seed << ", in " << out_dir << "\n";
  for (size_t s = 0; s < kSourceCount; ++s) {
    const auto& out = generator.outputs()[s];
    std::vector<uint32_t> order(out.ends.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
    for (size_t i = order.size(); i > 1; --i) {
      std::swap(order[i - 1], order[generator.rng().Below(i)]);
    }
    const std::string name(kSourceNames[s]);
    Writer file(fs::path(out_dir) / (name + ".csv"));
    file.buffer().append(kHeaders[s]).append("\n");
    for (size_t pos = 0; pos < order.size(); ++pos) {
      const uint32_t row = order[pos];
      const uint64_t begin = row == 0 ? 0 : out.ends[row - 1];
      std::string& b = file.buffer();
      b += name;
      b += '-';
      AppendInt(b, pos + 1);
      b.append(out.text, begin, out.ends[row] - begin);
      file.MaybeFlush();
      std::string& t = truth.buffer();
      t += name;
      t += '-';
      AppendInt(t, pos + 1);
      t += ",p";
      AppendInt(t, out.persons[row]);
      t += '\n';
      truth.MaybeFlush();
    }
    file.Close();
    std::printf("  %-15s %9zu rows %8.1f MB\n", (name + ".csv").c_str(), order.size(),
                static_cast<double>(file.bytes()) / 1e6);
  }
  truth.Close();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("  %-15s %9llu rows %8.1f MB\n", "truth.csv",
              static_cast<unsigned long long>(records), static_cast<double>(truth.bytes()) / 1e6);
  std::printf("  households sharing a landline %llu, sharing a family email %llu\n",
              static_cast<unsigned long long>(generator.shared_landlines()),
              static_cast<unsigned long long>(generator.family_emails()));
  std::printf("  generated in %.2f s (%.0f records/s)\n", seconds,
              static_cast<double>(records) / seconds);
  return 0;
}
