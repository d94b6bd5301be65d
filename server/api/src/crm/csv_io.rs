//! Clients in and out as CSV. Export is made for Excel: UTF-8 with a BOM (so
//! Cyrillic opens right), `;` or `,`, RFC 4180 quoting, and one `custom.<key>`
//! column per custom field definition. Import maps the file's columns to fields
//! (custom ones too), checks every row like the API does, reports each row, and
//! writes everything it accepts in one store call: it never half-applies.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use artel_core::crm::client::Company;
use artel_core::crm::custom_field::{self, FieldDef, FieldKind};
use artel_core::crm::custom_text;
use artel_core::crm::entity::EntityKind;
use artel_core::ports::crm::ClientFilter;
use artel_core::user::User;
use artel_core::Error;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crm::clients::{self, ClientPatch, ClientRecord, Fields};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Largest CSV text one import takes.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
/// Most data rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 5_000;
/// Body limit of the import endpoints: the CSV plus its JSON escaping.
pub const MAX_IMPORT_BODY: usize = 2 * MAX_IMPORT_BYTES + 64 * 1024;
const EXPORT_PAGE: i64 = 1000;
/// Keys per duplicate lookup, well under the engines' bound on statement parameters.
const LOOKUP_CHUNK: usize = 400;
/// A cell starting with one of these is a formula to a spreadsheet.
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
pub enum Delimiter {
    #[serde(rename = ";", alias = "semicolon")]
    Semicolon,
    #[serde(rename = ",", alias = "comma")]
    Comma,
}

impl Delimiter {
    fn byte(self) -> u8 {
        match self {
            Delimiter::Semicolon => b';',
            Delimiter::Comma => b',',
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// Leave rows that duplicate an existing record or an earlier row out (default).
    #[default]
    Skip,
    /// Import them anyway; the report still says what they duplicate.
    Create,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The file's text, header row first; at most 5 MiB and 5,000 data rows.
    pub csv: String,
    /// Guessed from the header row when omitted.
    pub delimiter: Option<Delimiter>,
    /// CSV header → field: name, phone, phones, email, emails, position (contacts),
    /// website (companies), company (contacts: linked by name, created if new),
    /// address, tags, owner_email, source, notes, or `custom.<key>` for a custom
    /// field (values as the export writes them: money "1500.50 RUB", dates
    /// YYYY-MM-DD or DD.MM.YYYY, list options comma-separated, users by e-mail;
    /// checked like a REST write, required fields included). Unmapped columns are
    /// ignored. When omitted, headers named like the fields (as the export writes
    /// them, `owner` for owner_email) are used.
    pub mapping: Option<BTreeMap<String, String>>,
    /// Check and report, write nothing.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub on_duplicate: OnDuplicate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Imported,
    Skipped,
    Error,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowReport {
    /// 1-based, the header row not counted.
    pub row: usize,
    pub status: RowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The new record (not on a dry run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportCounts {
    pub rows: usize,
    pub imported: usize,
    pub skipped: usize,
    pub errors: usize,
    /// Companies created for the `company` column of contacts.
    pub companies_created: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub counts: ImportCounts,
    pub rows: Vec<RowReport>,
}

// ---------------------------------------------------------------- export

/// The export's columns; the import recognises the same headers.
fn columns(kind: EntityKind) -> &'static [&'static str] {
    match kind {
        EntityKind::Company => &[
            "name",
            "phones",
            "emails",
            "website",
            "address",
            "tags",
            "owner",
            "source",
            "notes",
            "created_at",
        ],
        _ => &[
            "name",
            "phones",
            "emails",
            "position",
            "company",
            "address",
            "tags",
            "owner",
            "source",
            "notes",
            "created_at",
        ],
    }
}

/// Text a person typed, made safe to open in a spreadsheet: a leading `'` keeps a
/// cell that starts like a formula from being run (the import takes it off again).
fn text_cell(s: &str) -> String {
    if s.starts_with(FORMULA_START) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A custom value as a cell: users by e-mail (as the owner column), the rest in
/// the text form the import reads back.
fn custom_cell(def: &FieldDef, value: Option<&serde_json::Value>, emails: &HashMap<Uuid, String>) -> String {
    let Some(value) = value else { return String::new() };
    if def.kind == FieldKind::User {
        if let Some(email) =
            value.as_str().and_then(|s| s.parse::<Uuid>().ok()).and_then(|id| emails.get(&id))
        {
            return text_cell(email);
        }
    }
    text_cell(&custom_text::to_text(def, value))
}

fn csv_failed(e: impl fmt::Display) -> Error {
    Error::Internal(format!("writing CSV: {e}"))
}

/// Every record the filter matches (its paging is ignored) as CSV bytes.
pub async fn export<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    mut filter: ClientFilter,
    delimiter: Delimiter,
) -> artel_core::Result<Vec<u8>> {
    clients::can_use(actor)?;
    let ws = actor.workspace_id;
    let owners: HashMap<Uuid, String> =
        state.store.list_users(ws).await?.into_iter().map(|u| (u.id, u.email)).collect();
    let mut companies: HashMap<Uuid, String> = HashMap::new();
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter.byte())
        .terminator(csv::Terminator::CRLF)
        .from_writer("\u{feff}".as_bytes().to_vec());
    let cols = columns(T::KIND);
    let defs = state.store.list_custom_fields(ws, Some(T::KIND)).await?;
    let header: Vec<String> =
        cols.iter().map(|c| c.to_string()).chain(defs.iter().map(|d| format!("custom.{}", d.key))).collect();
    w.write_record(&header).map_err(csv_failed)?;
    filter.limit = EXPORT_PAGE;
    filter.offset = 0;
    loop {
        let (page, total) = T::list(&*state.store, ws, &filter).await?;
        for record in &page {
            let f = record.fields();
            let company = match f.company_id {
                Some(id) => match companies.get(&id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = state.store.get_company(ws, id).await.map(|c| c.name).unwrap_or_default();
                        companies.insert(id, name.clone());
                        name
                    }
                },
                None => String::new(),
            };
            let row: Vec<String> = cols
                .iter()
                .map(|col| match *col {
                    "name" => text_cell(&f.name),
                    // E.164 from us: "+digits", never a formula, and readable in any region.
                    "phones" => f.phones.iter().map(|p| p.e164.as_str()).collect::<Vec<_>>().join(", "),
                    "emails" => text_cell(&f.emails.join(", ")),
                    "position" => text_cell(f.position.as_deref().unwrap_or("")),
                    "website" => text_cell(f.website.as_deref().unwrap_or("")),
                    "company" => text_cell(&company),
                    "address" => text_cell(f.address.as_deref().unwrap_or("")),
                    "tags" => text_cell(&f.tags.join(", ")),
                    "owner" => {
                        f.owner_id.and_then(|o| owners.get(&o)).map(|e| text_cell(e)).unwrap_or_default()
                    }
                    "source" => text_cell(f.source.as_deref().unwrap_or("")),
                    "notes" => text_cell(&f.notes),
                    _ => record.created_at().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                })
                .chain(defs.iter().map(|d| custom_cell(d, f.custom.get(&d.key), &owners)))
                .collect();
            w.write_record(&row).map_err(csv_failed)?;
        }
        let n = i64::try_from(page.len()).unwrap_or(EXPORT_PAGE);
        filter.offset += n;
        if n < EXPORT_PAGE || filter.offset >= total {
            break;
        }
    }
    w.into_inner().map_err(csv_failed)
}

// ---------------------------------------------------------------- import

/// A field a CSV column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Name,
    Phone,
    Phones,
    Email,
    Emails,
    Position,
    Website,
    Company,
    Address,
    Tags,
    OwnerEmail,
    Source,
    Notes,
    /// The custom field at this index of the kind's definitions.
    Custom(usize),
}

const TARGETS: &[(&str, Target)] = &[
    ("name", Target::Name),
    ("phone", Target::Phone),
    ("phones", Target::Phones),
    ("email", Target::Email),
    ("emails", Target::Emails),
    ("position", Target::Position),
    ("website", Target::Website),
    ("company", Target::Company),
    ("address", Target::Address),
    ("tags", Target::Tags),
    ("owner_email", Target::OwnerEmail),
    ("source", Target::Source),
    ("notes", Target::Notes),
];

impl Target {
    fn parse(s: &str) -> Option<Self> {
        TARGETS.iter().find(|(n, _)| *n == s).map(|(_, t)| *t)
    }

    fn name(self, defs: &[FieldDef]) -> String {
        match self {
            Target::Custom(i) => defs.get(i).map(|d| format!("custom.{}", d.key)).unwrap_or_default(),
            _ => TARGETS.iter().find(|(_, t)| *t == self).map(|(n, _)| n.to_string()).unwrap_or_default(),
        }
    }

    fn applies(self, kind: EntityKind) -> bool {
        match self {
            Target::Position | Target::Company => kind == EntityKind::Contact,
            Target::Website => kind == EntityKind::Company,
            _ => true,
        }
    }

    /// Fields several columns may feed: lists are appended, name parts joined
    /// with a space ("First name", "Last name"), notes with a new line.
    fn repeatable(self) -> bool {
        matches!(
            self,
            Target::Name
                | Target::Phone
                | Target::Phones
                | Target::Email
                | Target::Emails
                | Target::Tags
                | Target::Notes
        )
    }
}

fn valid_fields(kind: EntityKind) -> String {
    TARGETS.iter().filter(|(_, t)| t.applies(kind)).map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// A `custom.<key>` name as the custom field it names.
fn custom_target(name: &str, defs: &[FieldDef]) -> Option<Target> {
    let key = name.strip_prefix("custom.")?;
    defs.iter().position(|d| d.key == key).map(Target::Custom)
}

/// The (column index, field) pairs to read, in column order.
fn resolve_mapping(
    kind: EntityKind,
    headers: &[String],
    mapping: Option<&BTreeMap<String, String>>,
    defs: &[FieldDef],
) -> artel_core::Result<Vec<(usize, Target)>> {
    let invalid = |m: String| Error::invalid("mapping", m);
    let mut cols: Vec<(usize, Target)> = Vec::new();
    match mapping {
        Some(m) => {
            for (header, field) in m {
                let field_name = field.trim();
                let target = if field_name.starts_with("custom.") {
                    custom_target(field_name, defs).ok_or_else(|| {
                        invalid(format!(
                            "column {header:?}: {field_name:?} is not a custom field of a {kind}"
                        ))
                    })?
                } else {
                    Target::parse(field_name).filter(|t| t.applies(kind)).ok_or_else(|| {
                        invalid(format!(
                            "column {header:?}: unknown field {field:?} for a {kind}; the fields are {}, \
                             or custom.<key> for a custom field",
                            valid_fields(kind)
                        ))
                    })?
                };
                let at: Vec<usize> = headers
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.as_str() == header.trim())
                    .map(|(i, _)| i)
                    .collect();
                match at.as_slice() {
                    [i] => cols.push((*i, target)),
                    [] => return Err(invalid(format!("{header:?} is not a column of the file"))),
                    _ => return Err(invalid(format!("{header:?} names several columns of the file"))),
                }
            }
        }
        None => {
            for (i, h) in headers.iter().enumerate() {
                let key = h.to_lowercase();
                let target = if key == "owner" {
                    Some(Target::OwnerEmail)
                } else {
                    Target::parse(&key).or_else(|| custom_target(&key, defs))
                };
                if let Some(t) = target.filter(|t| t.applies(kind)) {
                    if t.repeatable() || !cols.iter().any(|(_, c)| *c == t) {
                        cols.push((i, t));
                    }
                }
            }
        }
    }
    for (_, t) in &cols {
        if !t.repeatable() && cols.iter().filter(|(_, c)| c == t).count() > 1 {
            return Err(invalid(format!("several columns are mapped to {}", t.name(defs))));
        }
    }
    if !cols.iter().any(|(_, t)| *t == Target::Name) {
        return Err(invalid("no column is mapped to name".into()));
    }
    cols.sort_by_key(|(i, _)| *i);
    Ok(cols)
}

/// `;` unless the header row has more commas (Excel in Russian writes `;`).
fn sniff(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.chars().filter(|x| *x == c).count();
    if count(',') > count(';') {
        b','
    } else {
        b';'
    }
}

/// A cell as typed: trimmed, and the export's formula guard (`'=…`) taken off.
fn cell(raw: &str) -> &str {
    let t = raw.trim();
    match t.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => t,
    }
}

fn split_list(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split([',', ';', '\n']).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

/// One data row, checked.
struct Parsed {
    fields: Fields,
    company: Option<String>,
}

/// What identifies a client for duplicate checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Phone(String),
    Email(String),
    Name(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Phone(p) => write!(f, "phone {p}"),
            Key::Email(e) => write!(f, "e-mail {e}"),
            Key::Name(n) => write!(f, "name {n:?}"),
        }
    }
}

fn keys_of(fields: &Fields, name_is_key: bool) -> Vec<Key> {
    let mut keys: Vec<Key> = fields.phones.iter().map(|p| Key::Phone(p.e164.clone())).collect();
    keys.extend(fields.emails.iter().map(|e| Key::Email(e.clone())));
    if name_is_key {
        keys.push(Key::Name(fields.name.trim().to_lowercase()));
    }
    keys
}

fn reason(e: Error) -> String {
    match e {
        Error::Invalid { field, reason } => format!("{field}: {reason}"),
        other => other.to_string(),
    }
}

/// What every row is read against, loaded once per import.
struct RowContext<'a> {
    cols: &'a [(usize, Target)],
    /// Columns of the header row.
    width: usize,
    region: &'a str,
    /// Who may own a client, by lower-cased e-mail.
    owners: &'a HashMap<String, Uuid>,
    /// Active users (guests too: a user field may name anyone active, as over
    /// REST), by lower-cased e-mail.
    people: &'a HashMap<String, Uuid>,
    defs: &'a [FieldDef],
    actor: &'a User,
}

/// A custom cell as the value a REST write would carry; users are given by
/// e-mail (or id).
fn custom_raw(
    def: &FieldDef,
    text: &str,
    people: &HashMap<String, Uuid>,
) -> Result<serde_json::Value, String> {
    let field = format!("custom.{}", def.key);
    if def.kind == FieldKind::User && text.parse::<Uuid>().is_err() {
        return people
            .get(&text.to_lowercase())
            .map(|id| serde_json::Value::String(id.to_string()))
            .ok_or_else(|| format!("{field}: no active user of this workspace has the e-mail {text:?}"));
    }
    custom_text::from_text(def, text).map_err(|why| format!("{field}: {why}"))
}

/// Reads one row into checked fields; `Ok(None)` for a row with no values.
fn parse_row(ctx: &RowContext<'_>, record: &csv::StringRecord) -> Result<Option<Parsed>, String> {
    let RowContext { cols, width, region, owners, people, defs, actor } = *ctx;
    if record.iter().all(|c| c.trim().is_empty()) {
        return Ok(None);
    }
    if record.iter().skip(width).any(|c| !c.trim().is_empty()) {
        return Err(format!("has {} fields; the header has {width}", record.len()));
    }
    let mut name: Vec<&str> = Vec::new();
    let mut notes: Vec<&str> = Vec::new();
    let (mut phones, mut emails, mut tags) = (Vec::new(), Vec::new(), Vec::new());
    let mut patch = ClientPatch::default();
    let (mut owner_email, mut company) = (None, None);
    let mut custom = serde_json::Map::new();
    for (i, target) in cols {
        let v = cell(record.get(*i).unwrap_or(""));
        if v.is_empty() {
            continue;
        }
        let one = || Some(Some(v.to_string()));
        match target {
            Target::Name => name.push(v),
            Target::Notes => notes.push(v),
            Target::Phone => phones.push(v.to_string()),
            Target::Phones => phones.extend(split_list(v)),
            Target::Email => emails.push(v.to_string()),
            Target::Emails => emails.extend(split_list(v)),
            Target::Tags => tags.extend(split_list(v)),
            Target::Position => patch.position = one(),
            Target::Website => patch.website = one(),
            Target::Address => patch.address = one(),
            Target::Source => patch.source = one(),
            Target::OwnerEmail => owner_email = Some(v),
            Target::Company => company = Some(v),
            Target::Custom(d) => {
                if let Some(def) = defs.get(*d) {
                    custom.insert(def.key.clone(), custom_raw(def, v, people)?);
                }
            }
        }
    }
    if name.is_empty() {
        return Err("name is missing".into());
    }
    patch.name = Some(name.join(" "));
    patch.notes = Some(Some(notes.join("\n")));
    patch.phones = Some(phones);
    patch.emails = Some(emails);
    patch.tags = Some(tags);
    let mut fields = Fields { owner_id: Some(actor.id), ..Fields::default() };
    clients::apply(&mut fields, &patch, region).map_err(reason)?;
    if let Some(email) = owner_email {
        let id = owners.get(&email.to_lowercase()).ok_or_else(|| {
            format!("owner_email: no active member of this workspace has the e-mail {email:?}")
        })?;
        fields.owner_id = Some(*id);
    }
    // Checked as a REST create checks them: required fields must have a value
    // in the row, whether or not the file maps a column to them.
    let checked = custom_field::apply(defs, &serde_json::Map::new(), &custom).map_err(reason)?;
    for (field, user) in checked.users {
        if !people.values().any(|id| *id == user) {
            return Err(format!("{field}: is not an active user of this workspace"));
        }
    }
    fields.custom = checked.values;
    let company = company
        .map(|c| clients::name(c).map_err(|e| reason(e).replacen("name", "company", 1)))
        .transpose()?;
    Ok(Some(Parsed { fields, company }))
}

fn too_large(what: String) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", what)
}

/// Existing records by the keys they hold (the first record per key).
async fn existing_keys<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    rows: &[(usize, Result<Option<Parsed>, String>)],
) -> artel_core::Result<HashMap<Key, (Uuid, String)>> {
    let mut phones = BTreeSet::new();
    let mut emails = BTreeSet::new();
    let mut names = BTreeSet::new();
    for p in rows.iter().filter_map(|(_, r)| r.as_ref().ok().and_then(Option::as_ref)) {
        phones.extend(p.fields.phones.iter().map(|p| p.e164.clone()));
        emails.extend(p.fields.emails.iter().cloned());
        if T::NAME_IS_KEY {
            names.insert(p.fields.name.clone());
        }
    }
    let (phones, emails): (Vec<String>, Vec<String>) =
        (phones.into_iter().collect(), emails.into_iter().collect());
    let mut found: Vec<T> = Vec::new();
    for chunk in phones.chunks(LOOKUP_CHUNK) {
        found.extend(T::matching(&*state.store, actor.workspace_id, None, chunk, &[]).await?);
    }
    for chunk in emails.chunks(LOOKUP_CHUNK) {
        found.extend(T::matching(&*state.store, actor.workspace_id, None, &[], chunk).await?);
    }
    for name in &names {
        found.extend(T::matching(&*state.store, actor.workspace_id, Some(name), &[], &[]).await?);
    }
    let mut out = HashMap::new();
    for record in found {
        let f = record.fields();
        for key in keys_of(&f, T::NAME_IS_KEY) {
            out.entry(key).or_insert_with(|| (record.id(), f.name.clone()));
        }
    }
    Ok(out)
}

/// Existing companies by lower-cased name (unarchived ones preferred).
async fn existing_companies(
    state: &AppState,
    actor: &User,
    rows: &[(usize, Result<Option<Parsed>, String>)],
) -> artel_core::Result<HashMap<String, Uuid>> {
    let names: BTreeSet<String> = rows
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().and_then(Option::as_ref))
        .filter_map(|p| p.company.as_ref().map(|c| c.to_lowercase()))
        .collect();
    let mut out = HashMap::new();
    for name in names {
        let found = state.store.find_company_duplicates(actor.workspace_id, Some(&name), &[], &[]).await?;
        let pick = found.iter().find(|c| c.archived_at.is_none()).or(found.first());
        if let Some(c) = pick {
            out.insert(name, c.id);
        }
    }
    Ok(out)
}

/// Imports a CSV of contacts or companies; see [`ImportRequest`].
pub async fn import<T: ClientRecord>(
    state: &AppState,
    actor: &User,
    req: ImportRequest,
) -> ApiResult<ImportReport> {
    clients::can_use(actor)?;
    if req.csv.len() > MAX_IMPORT_BYTES {
        return Err(too_large(format!(
            "the CSV is {} bytes; one import takes at most {} MiB, split the file",
            req.csv.len(),
            MAX_IMPORT_BYTES / 1024 / 1024
        )));
    }
    let ImportRequest { csv: file, delimiter, mapping, dry_run, on_duplicate } = req;
    let text = file.strip_prefix('\u{feff}').unwrap_or(&file);
    let delimiter = delimiter.map(Delimiter::byte).unwrap_or_else(|| sniff(text));
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid("csv", format!("the header row cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(Error::invalid("csv", "the file has no header row").into());
    }
    let defs = state.store.list_custom_fields(actor.workspace_id, Some(T::KIND)).await?;
    // A contact's `company` column may create companies: they get checked like a
    // `POST /companies` with no custom values (so a required one refuses the row).
    let company_defs = state.store.list_custom_fields(actor.workspace_id, Some(EntityKind::Company)).await?;
    let cols = resolve_mapping(T::KIND, &headers, mapping.as_ref(), &defs)?;

    let region = clients::phone_region(state, actor).await?;
    let users = state.store.list_users(actor.workspace_id).await?;
    let owners: HashMap<String, Uuid> =
        users.iter().filter(|u| clients::may_own(u)).map(|u| (u.email.to_lowercase(), u.id)).collect();
    let people: HashMap<String, Uuid> =
        users.iter().filter(|u| u.is_active()).map(|u| (u.email.to_lowercase(), u.id)).collect();
    let ctx = RowContext {
        cols: &cols,
        width: headers.len(),
        region: &region,
        owners: &owners,
        people: &people,
        defs: &defs,
        actor,
    };
    // Row by row into one reused record: only the checked rows are kept, never
    // the file's rows as read.
    let mut rows: Vec<(usize, Result<Option<Parsed>, String>)> = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let row = rows.len() + 1;
        let more =
            reader.read_record(&mut record).map_err(|e| Error::invalid("csv", format!("row {row}: {e}")))?;
        if !more {
            break;
        }
        if row > MAX_IMPORT_ROWS {
            return Err(Error::invalid(
                "csv",
                format!("has more than {MAX_IMPORT_ROWS} rows, the most one import takes; split the file"),
            )
            .into());
        }
        rows.push((row, parse_row(&ctx, &record)));
    }
    drop(reader);
    drop(file);
    let existing = existing_keys::<T>(state, actor, &rows).await?;
    let mut companies = if T::KIND == EntityKind::Contact {
        existing_companies(state, actor, &rows).await?
    } else {
        HashMap::new()
    };

    let now = state.clock.now();
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let (mut new_records, mut new_companies, mut history) = (Vec::new(), Vec::<Company>::new(), Vec::new());
    let mut report = Vec::with_capacity(rows.len());
    let mut counts = ImportCounts { rows: rows.len(), ..ImportCounts::default() };
    for (row, parsed) in rows {
        let line = |status, reason: Option<String>, id| RowReport { row, status, reason, id };
        let mut p = match parsed {
            Err(why) => {
                counts.errors += 1;
                report.push(line(RowStatus::Error, Some(why), None));
                continue;
            }
            Ok(None) => {
                counts.skipped += 1;
                report.push(line(RowStatus::Skipped, Some("empty row".into()), None));
                continue;
            }
            Ok(Some(p)) => p,
        };
        let keys = keys_of(&p.fields, T::NAME_IS_KEY);
        let duplicate = keys
            .iter()
            .find_map(|k| {
                existing
                    .get(k)
                    .map(|(id, name)| format!("same {k} as the existing {} {name:?} ({id})", T::NOUN))
            })
            .or_else(|| keys.iter().find_map(|k| seen.get(k).map(|r| format!("same {k} as row {r}"))));
        if duplicate.is_some() && on_duplicate == OnDuplicate::Skip {
            counts.skipped += 1;
            report.push(line(RowStatus::Skipped, duplicate, None));
            continue;
        }
        if let Some(name) = p.company.take() {
            let key = name.to_lowercase();
            let id = match companies.get(&key) {
                Some(id) => *id,
                None => {
                    let empty = serde_json::Map::new();
                    if let Err(e) = custom_field::apply(&company_defs, &empty, &empty) {
                        counts.errors += 1;
                        let why = format!(
                            "company: {name:?} does not exist, and a new company needs {}",
                            reason(e)
                        );
                        report.push(line(RowStatus::Error, Some(why), None));
                        continue;
                    }
                    let fields = Fields { name, owner_id: p.fields.owner_id, ..Fields::default() };
                    let company = Company::build(Uuid::now_v7(), actor, now, fields);
                    history.push(clients::created_entry(&company, actor, now)?);
                    companies.insert(key, company.id);
                    let id = company.id;
                    new_companies.push(company);
                    id
                }
            };
            p.fields.company_id = Some(id);
        }
        let record = T::build(Uuid::now_v7(), actor, now, p.fields);
        history.push(clients::created_entry(&record, actor, now)?);
        for k in keys {
            seen.entry(k).or_insert(row);
        }
        counts.imported += 1;
        report.push(line(RowStatus::Imported, duplicate, (!dry_run).then_some(record.id())));
        new_records.push(record);
    }
    counts.companies_created = new_companies.len();
    let has_work = !new_records.is_empty() || !new_companies.is_empty();
    if has_work && !dry_run {
        T::import(&*state.store, &new_records, &new_companies, &history).await?;
    }
    Ok(ImportReport { dry_run, counts, rows: report })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mapping_is_checked_and_defaults_to_export_headers() {
        let h = headers(&["name", "phones", "owner", "created_at", "website"]);
        let cols = resolve_mapping(EntityKind::Contact, &h, None, &[]).ok().unwrap_or_default();
        assert_eq!(cols, vec![(0, Target::Name), (1, Target::Phones), (2, Target::OwnerEmail)]);

        let h = headers(&["Имя", "Телефон"]);
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
        };
        let ok = resolve_mapping(
            EntityKind::Contact,
            &h,
            Some(&map(&[("Имя", "name"), ("Телефон", "phone")])),
            &[],
        );
        assert!(ok.is_ok());
        for bad in [
            map(&[("Имя", "name"), ("Телефон", "fax")]),
            map(&[("Имя", "name"), ("Почта", "email")]),
            map(&[("Телефон", "phone")]),
            map(&[("Имя", "name"), ("Телефон", "website")]),
        ] {
            let r = resolve_mapping(EntityKind::Contact, &h, Some(&bad), &[]);
            assert!(matches!(r, Err(Error::Invalid { field, .. }) if field == "mapping"), "{bad:?}");
        }
    }

    #[test]
    fn formula_guard_round_trips() {
        for s in ["=SUM(A1)", "+7 916", "-x", "@me", "plain", "'quoted"] {
            assert_eq!(cell(&text_cell(s)), s);
        }
        assert_eq!(sniff("name;phones,x;y"), b';');
        assert_eq!(sniff("name,phones"), b',');
    }
}
