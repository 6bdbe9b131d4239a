// The config the identity and governance integration tests share: a daemon on a loopback port
// with one csv source, `people`, mapped by people.yaml in the test's directory. Each test
// appends its own identity and governance sections.
#pragma once

namespace journeyd::testing {

inline constexpr const char* kPeopleSource = R"yaml(
data_dir: data
server:
  listen: 127.0.0.1:0
  admin_token: ${env:JOURNEYD_ADMIN_TOKEN}
  read_token: ${env:JOURNEYD_READ_TOKEN}
sources:
  - name: people
    type: csv
    mapping: people.yaml
    token: ${env:JOURNEYD_ADMIN_TOKEN}
    id_column: id
)yaml";

}  // namespace journeyd::testing
