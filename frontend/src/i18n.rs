//! Words of the interface in Chinese and English, and locale-aware formatting.
//!
//! Enum labels (categories, roles, products…) come from the domain enums' `label(Lang)`; this
//! dictionary holds only the words of the pages themselves. Formatting is done here in Rust
//! rather than through `Intl` so output is identical in every browser and the code stays small:
//! both zh-CN and en use `,` grouping and `.` decimals, so only units and dates differ.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use domain::Lang;
use leptos::prelude::Get;

/// Declares the dictionary: one variant per phrase with its Chinese and English text.
macro_rules! dictionary {
    ($($key:ident => $zh:literal, $en:literal;)+) => {
        /// A phrase of the interface.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $(#[allow(missing_docs)] $key,)+ }

        impl T {
            /// The phrase in the given language.
            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((T::$key, Lang::Zh) => $zh, (T::$key, Lang::En) => $en,)+
                }
            }
        }
    };
}

dictionary! {
    ProductName => "油管家", "Youguanjia";
    Tagline => "成品油直分销客户管理", "Client management for fuel direct & distribution sales";
    SignIn => "登录", "Sign in";
    SigningIn => "正在登录…", "Signing in…";
    SignOut => "退出", "Sign out";
    History => "变更记录", "Change history";
    NoHistory => "暂无变更记录", "No changes recorded yet";
    Username => "用户名", "Username";
    Password => "密码", "Password";
    CredentialsRequired => "请输入用户名和密码", "Enter your username and password";
    SwitchLang => "English", "中文";
    SwitchLangTitle => "Switch to English", "切换到中文";
    Dashboard => "仪表盘", "Dashboard";
    Clients => "客户", "Clients";
    Documents => "证照", "Documents";
    Tasks => "任务", "Tasks";
    Visits => "走访", "Visits";
    Service => "客户服务", "Client service";
    Prospects => "潜在客户", "Prospects";
    NewProspect => "新建潜在客户", "New prospect";
    EstMonthlyDemand => "预计月需求量（吨）", "Estimated monthly demand (t)";
    PreviousChannel => "现采购渠道", "Buys from now";
    ProspectSource => "信息来源", "Source";
    Performance => "绩效", "Performance";
    Admin => "管理", "Admin";
    ComingSoon => "即将上线", "Coming soon";
    ComingSoonText => "该功能正在建设中，敬请期待。目前可使用“客户”模块。",
        "This section is being built. The Clients section is available now.";
    GoToClients => "前往客户列表", "Go to clients";
    NotFound => "页面不存在", "Page not found";
    NotFoundText => "您访问的页面不存在或已被移动。", "The page you asked for does not exist.";
    Loading => "加载中…", "Loading…";
    Retry => "重试", "Retry";
    NetworkError => "网络连接失败，请检查网络后重试", "Network error; check the connection and try again";
    UnexpectedResponse => "服务器返回了无法识别的响应", "The server sent a response that could not be read";
    // Client list
    ClientList => "客户列表", "Clients";
    MyClients => "我的客户", "My clients";
    Export => "导出", "Export";
    Exporting => "正在导出…", "Exporting…";
    UnitClients => "本单元客户", "My unit's clients";
    UnitViewNote => "本单元客户仅供查阅，联系电话已隐去", "Your unit's clients, read-only, with phones hidden";
    NewClient => "新建客户", "New client";
    SearchPlaceholder => "搜索名称、信用代码、联系人或电话", "Search name, USCC, contact or phone";
    Search => "搜索", "Search";
    AllCities => "全部地市", "All cities";
    AllCounties => "全部县区", "All counties";
    AllCategories => "全部类别", "All categories";
    AllIndustries => "全部行业", "All industries";
    AllManagers => "全部客户经理", "All account managers";
    City => "地市", "City";
    County => "县区", "County";
    SortBy => "排序", "Sort";
    PerPage => "每页", "Per page";
    ClearFilters => "清除筛选", "Clear filters";
    NoClients => "没有符合条件的客户", "No clients match these filters";
    Previous => "上一页", "Previous";
    Next => "下一页", "Next";
    Pagination => "分页", "Pagination";
    // Client fields
    Name => "客户名称", "Name";
    Uscc => "统一社会信用代码", "USCC";
    Category => "客户类别", "Category";
    Industry => "所属行业", "Industry";
    Address => "地址", "Address";
    Location => "坐标", "Coordinates";
    Latitude => "纬度", "Latitude";
    Longitude => "经度", "Longitude";
    OrgUnit => "所属单位", "Org unit";
    AccountManager => "客户经理", "Account manager";
    Contact => "联系人", "Contact";
    ContactName => "姓名", "Name";
    Phone => "电话", "Phone";
    Title => "职务", "Position";
    UpdatedAt => "更新时间", "Last changed";
    CreatedAt => "创建时间", "Created";
    // Client page
    BasicInfo => "基本信息", "Basic information";
    Contacts => "联系人", "Contacts";
    NoContacts => "暂无联系人", "No contacts";
    MainContact => "主联系人", "Main contact";
    Facilities => "设施设备", "Facilities";
    TankCount => "油罐数量", "Tanks";
    TankCapacity => "油罐总容量（立方米）", "Tank capacity (m³)";
    DispenserCount => "加油机数量", "Dispensers";
    VehicleCount => "车辆/机械数量", "Vehicles / machines";
    PurchaseAndDemand => "采购渠道与需求", "Purchase channels and demand";
    PurchaseChannels => "采购渠道", "Purchase channels";
    Products => "需求油品", "Products";
    MonthlyDemand => "月需求量（吨）", "Monthly demand (t)";
    Notes => "备注", "Notes";
    Services => "配送、会员卡与线上订购", "Delivery, card and online ordering";
    Delivery => "配送", "Delivery";
    MembershipCard => "会员卡号", "Membership card";
    OnlineOrdering => "我要买油", "Online ordering";
    Registered => "已注册", "Registered";
    NotRegistered => "未注册", "Not registered";
    RegisteredOn => "注册日期", "Registered on";
    OnlineAccount => "线上账号", "Online account";
    Tags => "标签", "Tags";
    NoTags => "暂无标签", "No tags";
    Yes => "是", "Yes";
    No => "否", "No";
    Nothing => "无", "None";
    Sales => "销售情况", "Sales";
    Orders12m => "近 12 个月订单数", "Orders, last 12 months";
    Tonnes12m => "近 12 个月销量", "Volume, last 12 months";
    Amount12m => "近 12 个月金额", "Amount, last 12 months";
    FirstOrder => "首次订单", "First order";
    LastOrder => "最近订单", "Latest order";
    NoSales => "暂无销售记录", "No sales yet";
    Edit => "编辑", "Edit";
    BackToList => "返回列表", "Back to list";
    // Form
    EditClient => "编辑客户", "Edit client";
    Save => "保存", "Save";
    Saving => "正在保存…", "Saving…";
    Cancel => "取消", "Cancel";
    AddContact => "添加联系人", "Add contact";
    Remove => "删除", "Remove";
    TagsHint => "多个标签用逗号分隔", "Separate tags with commas";
    ChooseCity => "请选择地市", "Choose a city";
    ChooseCounty => "请选择县区", "Choose a county";
    ChooseManager => "请选择客户经理", "Choose an account manager";
    FixErrors => "请修正以下错误后再保存：", "Please correct these errors and save again:";
    NoChanges => "没有需要保存的修改", "Nothing has changed";
    // Administration
    AdminHome => "管理首页", "Overview";
    NoAccess => "无权访问", "No access";
    NoAccessText => "此页面仅限系统管理员使用。", "Only administrators can use this page.";
    OrgTree => "组织架构", "Organisation";
    OrgTreeText => "省、市、县三级单元：新建、改名、调整上级、删除空单元。",
        "Province, city and county units: create, rename, move, delete empty ones.";
    Users => "用户管理", "Users";
    UsersText => "人员、角色与所属单元；停用账号；移交客户经理的客户。",
        "People, roles and units; deactivate accounts; hand over an account manager's clients.";
    IntegratorTokens => "集成令牌", "Integrator tokens";
    IntegratorTokensText => "为 ERP、液位仪等系统签发可撤销、限权限、有期限的令牌。",
        "Scoped, expiring, revocable tokens for the ERP, tank gauges and other systems.";
    AuditLog => "审计日志", "Audit log";
    Requirements => "证照要求", "Document requirements";
    RequirementsText => "各类客户必须和可选的证照、即将到期的提前天数；每次保存生成新版本。",
        "Which documents each kind of client needs, and how early a document counts as expiring; every save is a new version.";
    AuditLogText => "谁在何时从何处修改了什么，逐字段记录。",
        "Who changed what, when and from where, field by field.";
    Create => "新建", "Create";
    Delete => "删除", "Delete";
    Close => "关闭", "Close";
    Apply => "查询", "Apply";
    Status => "状态", "Status";
    Active => "在用", "Active";
    Inactive => "已停用", "Deactivated";
    // Org tree
    OrgTreeHint => "点击单元名称进行编辑；点击箭头展开或收起下级单元。",
        "Click a unit's name to edit it; click the arrow to show or hide its sub-units.";
    ShowSubUnits => "展开/收起下级单元", "Show or hide sub-units";
    SelectUnit => "请在左侧选择一个单元。", "Select a unit in the tree.";
    ChooseUnit => "请选择单元", "Choose a unit";
    UnitName => "单元名称", "Name";
    DivisionCode => "行政区划代码", "Division code";
    BaseLat => "驻地纬度", "Base latitude";
    BaseLon => "驻地经度", "Base longitude";
    EditUnit => "编辑单元", "Edit unit";
    MoveUnit => "调整上级单元", "Move unit";
    NewParent => "新的上级单元", "New parent";
    Move => "移动", "Move";
    AddSubUnit => "新建下级单元", "Add a sub-unit";
    DeleteUnit => "删除单元", "Delete unit";
    DeleteUnitHint => "只能删除没有下级单元、人员和客户的单元。",
        "Only a unit without sub-units, people or clients can be deleted.";
    DeleteUnitHasChildren => "该单元有下级单元，需先移走或删除它们。",
        "This unit has sub-units; move or delete them first.";
    ConfirmDelete => "确定删除？此操作不可撤销。", "Delete it? This cannot be undone.";
    UnitSaved => "已保存单元“{}”", "Saved unit “{}”";
    UnitCreated => "已新建单元“{}”", "Created unit “{}”";
    UnitMoved => "已移动单元“{}”", "Moved unit “{}”";
    UnitDeleted => "已删除单元“{}”", "Deleted unit “{}”";
    // Users
    UserSearchPlaceholder => "搜索用户名、姓名、工号或邮箱", "Search username, name, employee id or e-mail";
    AllRoles => "全部角色", "All roles";
    AllUnits => "全部单元", "All units";
    ActiveUsers => "在用账号", "Active";
    InactiveUsers => "已停用账号", "Deactivated";
    AllUsers => "全部账号", "All";
    NoUsers => "没有符合条件的用户", "No users match these filters";
    NewUser => "新建用户", "New user";
    EditUser => "编辑用户", "Edit user";
    DisplayName => "姓名", "Name";
    Role => "角色", "Role";
    EmployeeId => "工号", "Employee id";
    Email => "电子邮箱", "E-mail";
    ClientCount => "客户数", "Clients";
    SsoOnly => "仅统一认证", "SSO only";
    SsoOnlyLong => "仅通过统一身份认证登录（不设密码）", "Signs in through single sign-on only (no password)";
    InitialPassword => "初始密码", "Initial password";
    ResetPassword => "重置密码（留空则不修改）", "Reset password (leave empty to keep)";
    Deactivate => "停用账号", "Deactivate";
    Reactivate => "重新启用", "Reactivate";
    ReassignClients => "移交客户", "Hand over clients";
    OwnsClients => "名下现有 {} 个客户。", "Owns {} clients now.";
    ReassignTo => "移交给", "Hand over to";
    Reassign => "移交全部客户", "Hand over all clients";
    ClientsMoved => "已移交 {} 个客户", "Moved {} clients";
    UserCreated => "已新建用户“{}”", "Created user “{}”";
    UserSaved => "已保存用户“{}”", "Saved user “{}”";
    UserDeactivated => "已停用“{}”", "Deactivated “{}”";
    UserReactivated => "已重新启用“{}”", "Reactivated “{}”";
    // Integrator tokens
    NewToken => "新建集成令牌", "New integrator token";
    TokenName => "令牌名称", "Name";
    Scopes => "权限范围", "Scopes";
    ExpiresInDays => "有效天数（1–730）", "Valid for days (1–730)";
    RateLimit => "每分钟请求上限", "Requests per minute";
    RateLimitShort => "每分钟 {} 次", "{} requests/min";
    TokenHint => "令牌前缀", "Starts with";
    CreatedBy => "创建人", "Created by";
    ExpiresAt => "到期时间", "Expires";
    LastUsed => "最近使用", "Last used";
    Never => "从未使用", "Never";
    Revoked => "已撤销", "Revoked";
    Expired => "已过期", "Expired";
    Revoke => "撤销", "Revoke";
    ConfirmRevoke => "确定撤销？", "Revoke it?";
    NoTokens => "还没有集成令牌", "No integrator tokens yet";
    TokenSecret => "新令牌密钥", "The new token's secret";
    TokenSecretWarning => "请立即复制并妥善保存：密钥只显示这一次，关闭或刷新页面后无法再次查看。",
        "Copy it now and keep it safe: it is shown only this once and cannot be seen again after you leave or reload this page.";
    Copy => "复制", "Copy";
    Copied => "已复制", "Copied";
    SecretSaved => "我已保存，关闭", "I have saved it";
    TokenCreated => "已新建令牌“{}”", "Created token “{}”";
    TokenRevoked => "已撤销令牌“{}”", "Revoked token “{}”";
    TokenUsage => "调用时在请求头中携带 Authorization: Bearer <密钥>。",
        "Machine clients send it as Authorization: Bearer <secret>.";
    // Audit log
    Entity => "记录类型", "Record type";
    EntityId => "记录 ID", "Record id";
    Action => "操作", "Action";
    Actor => "操作人", "Who";
    FromDate => "开始日期", "From";
    ToDate => "结束日期", "To";
    AllEntities => "全部类型", "All types";
    AllActions => "全部操作", "All actions";
    AllActors => "全部人员", "Everyone";
    EntityClient => "客户", "Client";
    EntityUser => "用户", "User";
    EntityPassword => "密码", "Password";
    EntityOrgUnit => "组织单元", "Org unit";
    EntityToken => "集成令牌", "Integrator token";
    EntitySsoSignIn => "统一身份认证登录", "Single sign-on";
    ChangeCount => "{} 处变更", "changes: {}";
    NoAuditEntries => "没有符合条件的审计记录", "No audit entries match these filters";
    OpenClient => "查看客户", "Open the client";
    // Client ownership
    Ownership => "归属记录", "Ownership";
    CurrentOwner => "当前", "Current";
    UntilNow => "至今", "now";
    // Single sign-on
    OrSignOnWith => "或", "or";
    SsoSigningIn => "正在通过统一身份认证登录…", "Signing in through single sign-on…";
    SsoTicketInvalid => "统一身份认证登录已失效，请重新登录", "The single sign-on has expired or was already used; sign in again";
    SsoFailed => "统一身份认证登录失败，请重试或使用用户名密码登录", "Single sign-on failed; try again or sign in with your password";
    // Dashboard (sales intelligence)
    IntelTitle => "经营分析", "Sales intelligence";
    WholeScope => "全部", "All";
    AsOf => "数据截至 {}", "Figures as of {}";
    IntelNotComputed => "经营分析数据尚未计算。", "The figures have not been computed yet.";
    RecomputeNow => "立即计算", "Compute now";
    Recomputing => "正在计算…", "Computing…";
    KpiClients => "客户数", "Clients";
    KpiKeyShare => "重点客户销量占比", "Key clients' share of volume";
    KpiKeyShareNote => "{} 家重点客户，占购油客户 {}", "{} key clients, {} of buying clients";
    KpiPrepaid => "预售未提", "Prepaid not lifted";
    KpiAtRisk => "潜在流失客户", "Clients at risk";
    KpiAtRiskNote => "减量 {} · 流失 {}", "declining {} · churned {}";
    ChartClasses => "客户动态分类", "Clients by class";
    ChartUnitGrades => "各单位客户等级", "Clients by grade per unit";
    UnitsHint => "点击单位查看其下级单位", "Click a unit to see the units below it";
    NoSubUnits => "没有下级单位", "No units below this one";
    Ungraded => "未定级", "Ungraded";
    ChartTrend => "月度销量趋势（按油品，虚线为去年同期）", "Monthly volume by product (dashed: a year earlier)";
    YearAgo => "去年同期", "a year earlier";
    YearOnYear => "同比", "Year on year";
    TransitionsWeek => "本周分类变化", "Class changes this week";
    TransitionsMonth => "近四周分类变化", "Class changes, last four weeks";
    NoTransitions => "没有分类变化", "No class changes";
    ClientsChanged => "{} 户分类变化", "{} clients changed class";
    FromClass => "原分类", "From";
    ToClass => "新分类", "To";
    TopAtRisk => "流失风险客户（按预计风险量）", "Clients at risk (by expected volume at risk)";
    TopPrepaid => "预售未提客户", "Clients with prepaid volume not lifted";
    NoneListed => "暂无", "None";
    ClientClassCol => "动态分类", "Class";
    GradeCol => "等级", "Grade";
    PAlive => "存活概率", "P(alive)";
    VolumeAtRisk => "预计风险量", "Expected volume at risk";
    Reason => "原因", "Reason";
    Tonnes90d => "近 90 天销量", "Last 90 days";
    TonnesUnit => "吨", "t";
    ChartUnavailable => "图表库加载失败，请刷新页面重试", "The chart library did not load; reload the page";
    ArchiveOverviewTitle => "客户档案", "Client archives";
    FieldTitle => "走访覆盖与成效", "Visit coverage and effectiveness";
    KpiCoverage => "{}覆盖率", "Coverage, {}";
    KpiCoverageNote => "应走访 {} 户，已走访 {} 户", "{} clients due, {} visited";
    KpiFieldVisits => "近一年分类任务走访", "Visits on class tasks, last year";
    KpiRecovery => "{} 天恢复率", "Recovered within {} days";
    KpiRecoveryNote => "{}/{} 次恢复", "{} of {} visits recovered";
    LowestCounties => "覆盖率最低的县区", "Counties with the lowest coverage";
    GoToPlans => "走访计划与覆盖率 →", "Visit plans and coverage →";
    GoToEffectiveness => "走访成效明细 →", "Visit effectiveness in detail →";
    // Client page: intelligence
    Intel => "客户洞察", "Client intelligence";
    CurrentClass => "当前分类", "Current class";
    ExpectedPurchases90d => "未来 90 天预计购油次数", "Expected purchases, next 90 days";
    KeyClient => "重点客户", "Key client";
    RfmScores => "RFM 评分", "RFM scores";
    Quadrant => "价值象限", "Value quadrant";
    NotComputed => "尚未计算", "Not computed yet";
    SalesByProduct => "近 24 个月月度销量（按油品，吨）", "Monthly volume by product, last 24 months (t)";
    GradeHistory => "等级变化", "Grade history";
    NoGradeHistory => "暂无等级变化", "No grade changes yet";
    EffectiveDate => "生效日期", "From";
    ClassHistory => "分类历史（每周快照）", "Class history (weekly snapshots)";
    NoClassHistory => "暂无分类快照", "No weekly snapshots yet";
    Week => "周", "Week";
    ChurnReasons => "流失原因", "Churn reasons";
    RecordChurnReason => "记录流失原因", "Record a churn reason";
    ChurnReasonField => "流失类型", "Reason";
    Competitor => "竞争对手", "Competitor";
    PriceGap => "价差（元/吨，对方价格减我方）", "Price gap (yuan/t, theirs minus ours)";
    PriceGapShort => "价差", "Price gap";
    YuanPerTonne => "元/吨", "yuan/t";
    Note => "说明", "Note";
    ChurnReasonSaved => "已记录流失原因", "Churn reason recorded";
    NoChurnReasons => "尚未记录流失原因", "No churn reasons recorded yet";
    RecordedBy => "记录人", "Recorded by";
    Record => "记录", "Record";
}

/// A phrase that follows the language switch.
///
/// Every call returns the same closure type, so the rendering code for reactive text is
/// compiled once instead of once per phrase: a large saving in WASM size.
pub fn tr(key: T) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = crate::state::use_app().lang;
    move || key.get(lang.get())
}

/// An enum's label (given as its two texts) that follows the language switch; see [`tr`].
pub fn bilingual(
    zh: &'static str,
    en: &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let lang = crate::state::use_app().lang;
    move || match lang.get() {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The reactive label of a `labelled_enum!` value.
macro_rules! label {
    ($value:expr) => {{
        let value = $value;
        $crate::i18n::bilingual(value.label_zh(), value.label_en())
    }};
}

/// Inserts `,` every three digits of the integer part.
fn group_digits(int_part: &str) -> String {
    let digits: Vec<char> = int_part.chars().collect();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*c);
    }
    out
}

/// `value` with exactly `decimals` decimals, without grouping.
///
/// Uses JavaScript's `toFixed` rather than Rust's `{:.N}` formatting: the browser already has
/// it, and Rust's exact float formatting would add several kilobytes of WASM.
#[cfg(target_arch = "wasm32")]
pub fn fixed_decimals(value: f64, decimals: usize) -> String {
    js_sys::Number::from(value)
        .to_fixed(decimals.min(100) as u8)
        .map(String::from)
        .unwrap_or_else(|_| value.to_string())
}

/// Host builds (unit tests) have no JavaScript: the same result through Rust formatting.
#[cfg(not(target_arch = "wasm32"))]
pub fn fixed_decimals(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

/// A number with grouping, rounded to `max_decimals`, keeping at least `min_decimals`.
pub fn format_number(value: f64, min_decimals: usize, max_decimals: usize) -> String {
    if !value.is_finite() {
        return "—".to_owned();
    }
    let fixed = fixed_decimals(value.abs(), max_decimals);
    let (int_part, frac) = match fixed.split_once('.') {
        Some((i, f)) => (i, f),
        None => (fixed.as_str(), ""),
    };
    let mut frac = frac.to_owned();
    while frac.len() > min_decimals && frac.ends_with('0') {
        frac.pop();
    }
    // A value that rounds to zero is shown without a minus sign.
    let negative =
        value < 0.0 && (int_part.chars().any(|c| c != '0') || frac.chars().any(|c| c != '0'));
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&group_digits(int_part));
    if !frac.is_empty() {
        out.push('.');
        out.push_str(&frac);
    }
    out
}

/// An integer count with grouping.
pub fn format_count(value: u64) -> String {
    group_digits(&value.to_string())
}

/// Tonnes with up to 3 decimals and the unit.
pub fn format_tonnes(value: f64, lang: Lang) -> String {
    let n = format_number(value, 0, 3);
    match lang {
        Lang::Zh => format!("{n} 吨"),
        Lang::En => format!("{n} t"),
    }
}

/// Yuan with exactly 2 decimals.
pub fn format_yuan(value: f64, lang: Lang) -> String {
    let n = format_number(value, 2, 2);
    match lang {
        Lang::Zh => format!("¥{n}"),
        Lang::En => format!("CN¥{n}"),
    }
}

/// A share (0–1) as a percentage with one decimal: 42.5%.
pub fn format_percent(share: f64) -> String {
    format!("{}%", format_number(share * 100.0, 1, 1))
}

/// "共 N 条" / "N clients"; "N+" when only a lower bound is known (`exact` false).
pub fn format_total(total: u64, exact: bool, lang: Lang) -> String {
    let count = format_count(total);
    match (lang, exact) {
        (Lang::Zh, true) => format!("共 {count} 条"),
        (Lang::Zh, false) => format!("超过 {count} 条"),
        (Lang::En, true) if total == 1 => "1 client".to_owned(),
        (Lang::En, true) => format!("{count} clients"),
        (Lang::En, false) => format!("{count}+ clients"),
    }
}

/// "共 N 人" / "N people".
pub fn format_people(total: u64, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("共 {} 人", format_count(total)),
        Lang::En if total == 1 => "1 person".to_owned(),
        Lang::En => format!("{} people", format_count(total)),
    }
}

/// "共 N 条" / "N entries".
pub fn format_entries(total: u64, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("共 {} 条", format_count(total)),
        Lang::En if total == 1 => "1 entry".to_owned(),
        Lang::En => format!("{} entries", format_count(total)),
    }
}

const MONTHS_EN: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn month_en(month: u32) -> &'static str {
    MONTHS_EN
        .get((month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("")
}

/// A calendar date: 2026年3月5日 / 5 Mar 2026.
pub fn format_date(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}年{}月{}日", date.year(), date.month(), date.day()),
        Lang::En => format!("{} {} {}", date.day(), month_en(date.month()), date.year()),
    }
}

/// A timestamp in the browser's time zone, to the minute.
pub fn format_datetime(at: DateTime<Utc>, lang: Lang) -> String {
    // JS reports the local offset (minutes behind UTC) for that instant, so daylight saving
    // abroad is handled; in China it is always -480.
    let millis = at.timestamp_millis() as f64;
    let offset_min =
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis)).get_timezone_offset();
    let local = at.naive_utc() - chrono::Duration::minutes(offset_min as i64);
    format!(
        "{} {:02}:{:02}",
        format_date(local.date(), lang),
        local.hour(),
        local.minute()
    )
}

/// Splits `YYYY-MM` into (year, month).
pub fn parse_month(month: &str) -> Option<(i32, u32)> {
    let (y, m) = month.split_once('-')?;
    Some((y.parse().ok()?, m.parse().ok()?))
}

/// A month for a chart axis: 3月 / Mar.
pub fn format_month_short(month: &str, lang: Lang) -> String {
    match (parse_month(month), lang) {
        (Some((_, m)), Lang::Zh) => format!("{m}月"),
        (Some((_, m)), Lang::En) => month_en(m).to_owned(),
        (None, _) => month.to_owned(),
    }
}

/// A month in full: 2025年3月 / Mar 2025.
pub fn format_month(month: &str, lang: Lang) -> String {
    match (parse_month(month), lang) {
        (Some((y, m)), Lang::Zh) => format!("{y}年{m}月"),
        (Some((y, m)), Lang::En) => format!("{} {y}", month_en(m)),
        (None, _) => month.to_owned(),
    }
}

/// Yes / no in words.
pub fn format_bool(value: bool, lang: Lang) -> &'static str {
    if value {
        T::Yes.get(lang)
    } else {
        T::No.get(lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_and_trimmed() {
        assert_eq!(format_number(1234567.891, 0, 3), "1,234,567.891");
        assert_eq!(format_number(1234.5, 0, 3), "1,234.5");
        assert_eq!(format_number(12.0, 0, 3), "12");
        assert_eq!(format_number(12.0, 2, 2), "12.00");
        assert_eq!(format_number(-1234.567, 2, 2), "-1,234.57");
        assert_eq!(format_number(-0.0001, 0, 3), "0");
        assert_eq!(format_number(999.9996, 0, 3), "1,000");
    }

    #[test]
    fn dates_follow_the_language() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).expect("date");
        assert_eq!(format_date(d, Lang::Zh), "2026年3月5日");
        assert_eq!(format_date(d, Lang::En), "5 Mar 2026");
        assert_eq!(format_month("2025-11", Lang::En), "Nov 2025");
        assert_eq!(format_total(1234, true, Lang::Zh), "共 1,234 条");
        assert_eq!(format_total(1000, false, Lang::Zh), "超过 1,000 条");
        assert_eq!(format_total(1000, false, Lang::En), "1,000+ clients");
    }
}
