//! The demo province: Hunan's 14 prefecture-level units and their 122 county-level divisions.
//!
//! Division codes follow GB/T 2260 as of the 2021 changes (株洲县 → 渌口区, 邵东县 → 邵东市,
//! 祁阳县 → 祁阳市). Coordinates are approximate positions (WGS-84) of each government seat,
//! close enough for maps and visit routes; they are not surveyed.

/// A county-level division (区 / 县 / 县级市) and its marketing unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct County {
    /// GB/T 2260 code, e.g. `430104`.
    pub code: &'static str,
    /// Full name, e.g. 岳麓区.
    pub name: &'static str,
    /// Latitude of the county seat.
    pub lat: f64,
    /// Longitude of the county seat.
    pub lon: f64,
    /// Relative share of the province's clients (economy and fuel demand), used to spread them.
    pub weight: u32,
}

/// A prefecture-level unit (地级市 / 自治州) with its counties and depots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct City {
    /// GB/T 2260 code, e.g. `430100`.
    pub code: &'static str,
    /// Full name, e.g. 长沙市.
    pub name: &'static str,
    /// Latitude of the city government.
    pub lat: f64,
    /// Longitude of the city government.
    pub lon: f64,
    /// Telephone area code, for landline numbers.
    pub area_code: &'static str,
    /// Depots that supply the city; the first is the main one.
    pub depots: &'static [&'static str],
    /// County-level divisions.
    pub counties: &'static [County],
}

/// The province unit: name, code and the position of the provincial company.
pub const PROVINCE_NAME: &str = "湖南省";
/// GB/T 2260 code of the province.
pub const PROVINCE_CODE: &str = "430000";
/// Latitude of the provincial company (Changsha).
pub const PROVINCE_LAT: f64 = 28.1124;
/// Longitude of the provincial company.
pub const PROVINCE_LON: f64 = 112.9834;

/// County codes where mining clients are more common (coal, antimony, manganese, non-ferrous).
pub const MINING_COUNTIES: &[&str] = &[
    "431381", "431382", "431322", "433124", "431081", "431021", "431025", "431022", "430481",
    "430482", "430223", "430224", "430921", "431224",
];

/// County codes on the Dongting Lake and the Xiang, Zi, Yuan and Li rivers, where shipping
/// clients are more common.
pub const WATERWAY_COUNTIES: &[&str] = &[
    "430602", "430603", "430611", "430621", "430623", "430624", "430681", "430682", "430721",
    "430722", "430723", "430781", "430902", "430921", "430981", "430112", "430302", "430405",
    "431222",
];

const fn c(code: &'static str, name: &'static str, lat: f64, lon: f64, weight: u32) -> County {
    County {
        code,
        name,
        lat,
        lon,
        weight,
    }
}

/// The 14 prefecture-level units in code order.
pub const CITIES: &[City] = &[
    City {
        code: "430100",
        name: "长沙市",
        lat: 28.2282,
        lon: 112.9388,
        area_code: "0731",
        depots: &["长沙油库", "霞凝油库", "宁乡油库"],
        counties: &[
            c("430102", "芙蓉区", 28.1856, 113.0326, 4),
            c("430103", "天心区", 28.1140, 112.9900, 4),
            c("430104", "岳麓区", 28.2135, 112.9116, 7),
            c("430105", "开福区", 28.2557, 112.9855, 5),
            c("430111", "雨花区", 28.1354, 113.0356, 6),
            c("430112", "望城区", 28.3475, 112.8196, 6),
            c("430121", "长沙县", 28.2476, 113.0807, 10),
            c("430181", "浏阳市", 28.1633, 113.6432, 9),
            c("430182", "宁乡市", 28.2774, 112.5515, 8),
        ],
    },
    City {
        code: "430200",
        name: "株洲市",
        lat: 27.8274,
        lon: 113.1340,
        area_code: "0731",
        depots: &["株洲油库", "醴陵油库"],
        counties: &[
            c("430202", "荷塘区", 27.8557, 113.1731, 3),
            c("430203", "芦淞区", 27.7847, 113.1524, 3),
            c("430204", "石峰区", 27.8717, 113.1175, 3),
            c("430211", "天元区", 27.8271, 113.0829, 4),
            c("430212", "渌口区", 27.6993, 113.1440, 3),
            c("430223", "攸县", 27.0001, 113.3449, 4),
            c("430224", "茶陵县", 26.7773, 113.5395, 3),
            c("430225", "炎陵县", 26.4894, 113.7720, 2),
            c("430281", "醴陵市", 27.6463, 113.4969, 6),
        ],
    },
    City {
        code: "430300",
        name: "湘潭市",
        lat: 27.8297,
        lon: 112.9441,
        area_code: "0731",
        depots: &["湘潭油库", "湘乡油库"],
        counties: &[
            c("430302", "雨湖区", 27.8563, 112.9076, 4),
            c("430304", "岳塘区", 27.8723, 112.9700, 4),
            c("430321", "湘潭县", 27.7790, 112.9503, 5),
            c("430381", "湘乡市", 27.7343, 112.5349, 5),
            c("430382", "韶山市", 27.9150, 112.5262, 2),
        ],
    },
    City {
        code: "430400",
        name: "衡阳市",
        lat: 26.8935,
        lon: 112.5720,
        area_code: "0734",
        depots: &["衡阳油库", "耒阳油库", "衡山油库"],
        counties: &[
            c("430405", "珠晖区", 26.8945, 112.6205, 3),
            c("430406", "雁峰区", 26.8885, 112.6166, 2),
            c("430407", "石鼓区", 26.9433, 112.5980, 3),
            c("430408", "蒸湘区", 26.9114, 112.5671, 3),
            c("430412", "南岳区", 27.2325, 112.7384, 1),
            c("430421", "衡阳县", 26.9706, 112.3704, 5),
            c("430422", "衡南县", 26.7383, 112.6777, 5),
            c("430423", "衡山县", 27.2303, 112.8680, 3),
            c("430424", "衡东县", 27.0811, 112.9534, 4),
            c("430426", "祁东县", 26.7997, 112.0902, 4),
            c("430481", "耒阳市", 26.4222, 112.8599, 6),
            c("430482", "常宁市", 26.4210, 112.3994, 5),
        ],
    },
    City {
        code: "430500",
        name: "邵阳市",
        lat: 27.2389,
        lon: 111.4677,
        area_code: "0739",
        depots: &["邵阳油库", "武冈油库"],
        counties: &[
            c("430502", "双清区", 27.2324, 111.4967, 3),
            c("430503", "大祥区", 27.2211, 111.4393, 3),
            c("430511", "北塔区", 27.2459, 111.4521, 2),
            c("430522", "新邵县", 27.3209, 111.4588, 3),
            c("430523", "邵阳县", 26.9904, 111.2733, 4),
            c("430524", "隆回县", 27.1137, 111.0322, 4),
            c("430525", "洞口县", 27.0603, 110.5757, 4),
            c("430527", "绥宁县", 26.5811, 110.1558, 2),
            c("430528", "新宁县", 26.4331, 110.8566, 3),
            c("430529", "城步苗族自治县", 26.3901, 110.3222, 2),
            c("430581", "武冈市", 26.7266, 110.6313, 4),
            c("430582", "邵东市", 27.2585, 111.7440, 6),
        ],
    },
    City {
        code: "430600",
        name: "岳阳市",
        lat: 29.3573,
        lon: 113.1289,
        area_code: "0730",
        depots: &["岳阳油库", "城陵矶油库", "汨罗油库"],
        counties: &[
            c("430602", "岳阳楼区", 29.3718, 113.1293, 5),
            c("430603", "云溪区", 29.4736, 113.2723, 3),
            c("430611", "君山区", 29.4612, 113.0060, 3),
            c("430621", "岳阳县", 29.1440, 113.1163, 4),
            c("430623", "华容县", 29.5307, 112.5406, 4),
            c("430624", "湘阴县", 28.6898, 112.9091, 4),
            c("430626", "平江县", 28.7013, 113.5813, 4),
            c("430681", "汨罗市", 28.8064, 113.0670, 5),
            c("430682", "临湘市", 29.4768, 113.4503, 4),
        ],
    },
    City {
        code: "430700",
        name: "常德市",
        lat: 29.0317,
        lon: 111.6985,
        area_code: "0736",
        depots: &["常德油库", "津市油库"],
        counties: &[
            c("430702", "武陵区", 29.0554, 111.6830, 5),
            c("430703", "鼎城区", 29.0183, 111.6806, 5),
            c("430721", "安乡县", 29.4113, 112.1711, 3),
            c("430722", "汉寿县", 28.9062, 111.9701, 4),
            c("430723", "澧县", 29.6331, 111.7589, 5),
            c("430724", "临澧县", 29.4407, 111.6474, 3),
            c("430725", "桃源县", 28.9028, 111.4888, 5),
            c("430726", "石门县", 29.5840, 111.3797, 4),
            c("430781", "津市市", 29.6057, 111.8776, 3),
        ],
    },
    City {
        code: "430800",
        name: "张家界市",
        lat: 29.1171,
        lon: 110.4792,
        area_code: "0744",
        depots: &["张家界油库", "慈利油库"],
        counties: &[
            c("430802", "永定区", 29.1190, 110.5376, 4),
            c("430811", "武陵源区", 29.3458, 110.5503, 2),
            c("430821", "慈利县", 29.4298, 111.1393, 3),
            c("430822", "桑植县", 29.3984, 110.2040, 2),
        ],
    },
    City {
        code: "430900",
        name: "益阳市",
        lat: 28.5539,
        lon: 112.3553,
        area_code: "0737",
        depots: &["益阳油库", "沅江油库"],
        counties: &[
            c("430902", "资阳区", 28.5909, 112.3242, 3),
            c("430903", "赫山区", 28.5793, 112.3740, 5),
            c("430921", "南县", 29.3615, 112.3963, 3),
            c("430922", "桃江县", 28.5182, 112.1557, 4),
            c("430923", "安化县", 28.3745, 111.2130, 4),
            c("430981", "沅江市", 28.8445, 112.3550, 4),
        ],
    },
    City {
        code: "431000",
        name: "郴州市",
        lat: 25.7706,
        lon: 113.0147,
        area_code: "0735",
        depots: &["郴州油库", "资兴油库", "宜章油库"],
        counties: &[
            c("431002", "北湖区", 25.7840, 113.0112, 4),
            c("431003", "苏仙区", 25.8004, 113.0424, 4),
            c("431021", "桂阳县", 25.7540, 112.7340, 5),
            c("431022", "宜章县", 25.3999, 112.9480, 4),
            c("431023", "永兴县", 26.1271, 113.1163, 4),
            c("431024", "嘉禾县", 25.5877, 112.3690, 3),
            c("431025", "临武县", 25.2762, 112.5636, 3),
            c("431026", "汝城县", 25.5320, 113.6846, 2),
            c("431027", "桂东县", 26.0771, 113.9444, 2),
            c("431028", "安仁县", 26.7093, 113.2693, 3),
            c("431081", "资兴市", 25.9762, 113.2364, 4),
        ],
    },
    City {
        code: "431100",
        name: "永州市",
        lat: 26.4204,
        lon: 111.6132,
        area_code: "0746",
        depots: &["永州油库", "祁阳油库", "道县油库"],
        counties: &[
            c("431102", "零陵区", 26.2211, 111.6312, 4),
            c("431103", "冷水滩区", 26.4611, 111.5921, 5),
            c("431122", "东安县", 26.3919, 111.3163, 3),
            c("431123", "双牌县", 25.9599, 111.6598, 2),
            c("431124", "道县", 25.5266, 111.6002, 4),
            c("431125", "江永县", 25.2736, 111.3432, 2),
            c("431126", "宁远县", 25.5704, 111.9458, 4),
            c("431127", "蓝山县", 25.3690, 112.1963, 3),
            c("431128", "新田县", 25.9040, 112.2032, 2),
            c("431129", "江华瑶族自治县", 25.1854, 111.5790, 3),
            c("431181", "祁阳市", 26.5802, 111.8402, 5),
        ],
    },
    City {
        code: "431200",
        name: "怀化市",
        lat: 27.5501,
        lon: 109.9985,
        area_code: "0745",
        depots: &["怀化油库", "洪江油库", "沅陵油库"],
        counties: &[
            c("431202", "鹤城区", 27.5785, 109.9646, 5),
            c("431221", "中方县", 27.4401, 109.9448, 3),
            c("431222", "沅陵县", 28.4527, 110.3932, 3),
            c("431223", "辰溪县", 28.0060, 110.1836, 3),
            c("431224", "溆浦县", 27.9088, 110.5949, 4),
            c("431225", "会同县", 26.8872, 109.7354, 2),
            c("431226", "麻阳苗族自治县", 27.8660, 109.8023, 2),
            c("431227", "新晃侗族自治县", 27.3524, 109.1743, 2),
            c("431228", "芷江侗族自治县", 27.4430, 109.6849, 3),
            c("431229", "靖州苗族侗族自治县", 26.5752, 109.6963, 2),
            c("431230", "通道侗族自治县", 26.1582, 109.7849, 2),
            c("431281", "洪江市", 27.2091, 109.8363, 3),
        ],
    },
    City {
        code: "431300",
        name: "娄底市",
        lat: 27.6999,
        lon: 111.9940,
        area_code: "0738",
        depots: &["娄底油库", "冷水江油库"],
        counties: &[
            c("431302", "娄星区", 27.7298, 112.0018, 5),
            c("431321", "双峰县", 27.4570, 112.1752, 4),
            c("431322", "新化县", 27.7266, 111.3270, 4),
            c("431381", "冷水江市", 27.6860, 111.4355, 4),
            c("431382", "涟源市", 27.6923, 111.6642, 4),
        ],
    },
    City {
        code: "433100",
        name: "湘西土家族苗族自治州",
        lat: 28.3119,
        lon: 109.7390,
        area_code: "0743",
        depots: &["吉首油库", "龙山油库"],
        counties: &[
            c("433101", "吉首市", 28.2623, 109.6980, 4),
            c("433122", "泸溪县", 28.2161, 110.2194, 2),
            c("433123", "凤凰县", 27.9482, 109.5991, 3),
            c("433124", "花垣县", 28.5720, 109.4822, 2),
            c("433125", "保靖县", 28.6996, 109.6604, 2),
            c("433126", "古丈县", 28.6171, 109.9502, 1),
            c("433127", "永顺县", 28.9980, 109.8530, 2),
            c("433130", "龙山县", 29.4582, 109.4433, 2),
        ],
    },
];

/// The short form used in company names: 岳麓区 → 岳麓, 城步苗族自治县 → 城步, 湘西土家族苗族自治州 → 湘西.
///
/// One-character stems keep their suffix (澧县, 南县, 道县) because 澧 alone reads wrong.
pub fn short_name(name: &str) -> String {
    const AUTONOMOUS: &[&str] = &[
        "土家族苗族自治州",
        "苗族侗族自治县",
        "侗族自治县",
        "苗族自治县",
        "瑶族自治县",
    ];
    for suffix in AUTONOMOUS {
        if let Some(stem) = name.strip_suffix(suffix) {
            return stem.to_owned();
        }
    }
    if name.chars().count() > 2 {
        for suffix in ["市", "区", "县"] {
            if let Some(stem) = name.strip_suffix(suffix) {
                return stem.to_owned();
            }
        }
    }
    name.to_owned()
}

/// Finds a county by its code, with its city.
pub fn county_by_code(code: &str) -> Option<(&'static City, &'static County)> {
    CITIES.iter().find_map(|city| {
        city.counties
            .iter()
            .find(|c| c.code == code)
            .map(|county| (city, county))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_province_has_14_cities_and_122_counties_with_unique_well_formed_codes() {
        assert_eq!(CITIES.len(), 14);
        let counties: usize = CITIES.iter().map(|c| c.counties.len()).sum();
        assert_eq!(counties, 122);
        let mut codes = HashSet::new();
        for city in CITIES {
            assert!(codes.insert(city.code));
            assert!(
                city.code.ends_with("00") && city.code.starts_with("43"),
                "{}",
                city.code
            );
            assert!(!city.depots.is_empty());
            for county in city.counties {
                assert!(codes.insert(county.code), "{}", county.code);
                assert_eq!(county.code.len(), 6);
                assert_eq!(
                    &county.code[..4],
                    &city.code[..4],
                    "{} in {}",
                    county.name,
                    city.name
                );
                assert!(county.weight > 0);
                // Every seat lies within Hunan's bounding box and near its city.
                assert!(
                    (24.6..30.2).contains(&county.lat) && (108.7..114.3).contains(&county.lon),
                    "{}",
                    county.name
                );
                assert!(
                    (county.lat - city.lat).abs() < 1.4 && (county.lon - city.lon).abs() < 1.4,
                    "{}",
                    county.name
                );
            }
        }
    }

    #[test]
    fn short_names_drop_the_level_but_keep_one_character_stems_readable() {
        assert_eq!(short_name("岳麓区"), "岳麓");
        assert_eq!(short_name("津市市"), "津市");
        assert_eq!(short_name("澧县"), "澧县");
        assert_eq!(short_name("城步苗族自治县"), "城步");
        assert_eq!(short_name("靖州苗族侗族自治县"), "靖州");
        assert_eq!(short_name("湘西土家族苗族自治州"), "湘西");
        assert_eq!(short_name("长沙市"), "长沙");
    }
}
