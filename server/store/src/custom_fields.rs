//! `CustomFieldStore` for both engines: the definitions of custom fields. Values
//! are not here: they live in the records' own `custom` columns.

use artel_core::crm::custom_field::{CustomFieldId, FieldDef};
use artel_core::crm::entity::EntityKind;
use artel_core::ports::crm::CustomFieldStore;
use artel_core::workspace::WorkspaceId;
use artel_core::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use crate::errors::{backend, not_found, on_unique};
use crate::{PostgresStore, SqliteStore};

const COLUMNS: &str =
    "id, workspace_id, entity_kind, key, label, kind, options, multiple, required, position, created_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    workspace_id: Uuid,
    entity_kind: String,
    key: String,
    label: String,
    kind: String,
    options: Json<Vec<String>>,
    multiple: bool,
    required: bool,
    position: i64,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for FieldDef {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(FieldDef {
            id: r.id,
            workspace_id: r.workspace_id,
            entity: r.entity_kind.parse().map_err(StoreError::Backend)?,
            key: r.key,
            label: r.label,
            kind: r.kind.parse().map_err(StoreError::Backend)?,
            options: r.options.0,
            multiple: r.multiple,
            required: r.required,
            position: r.position,
            created_at: r.created_at,
        })
    }
}

macro_rules! impl_custom_field_store {
    ($store:ty) => {
        #[async_trait]
        impl CustomFieldStore for $store {
            async fn create_custom_field(&self, def: &FieldDef) -> StoreResult<()> {
                sqlx::query(&format!(
                    "insert into custom_fields ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(def.id)
                .bind(def.workspace_id)
                .bind(def.entity.as_str())
                .bind(&def.key)
                .bind(&def.label)
                .bind(def.kind.as_str())
                .bind(Json(&def.options))
                .bind(def.multiple)
                .bind(def.required)
                .bind(def.position)
                .bind(def.created_at)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(on_unique("custom field"))?;
                Ok(())
            }

            async fn list_custom_fields(
                &self,
                workspace: WorkspaceId,
                entity: Option<EntityKind>,
            ) -> StoreResult<Vec<FieldDef>> {
                let sql = format!(
                    "select {COLUMNS} from custom_fields where workspace_id = $1 \
                     and ($2 is null or entity_kind = $2) order by entity_kind, position, key"
                );
                let rows: Vec<Row> = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(entity.map(EntityKind::as_str))
                    .fetch_all(&mut *self.read.acquire().await?)
                    .await
                    .map_err(backend)?;
                rows.into_iter().map(FieldDef::try_from).collect()
            }

            async fn get_custom_field(&self, workspace: WorkspaceId, id: CustomFieldId) -> StoreResult<FieldDef> {
                let sql = format!("select {COLUMNS} from custom_fields where workspace_id = $1 and id = $2");
                let row: Row = sqlx::query_as(&sql)
                    .bind(workspace)
                    .bind(id)
                    .fetch_one(&mut *self.read.acquire().await?)
                    .await
                    .map_err(not_found("custom field"))?;
                row.try_into()
            }

            async fn update_custom_field(&self, def: &FieldDef) -> StoreResult<()> {
                let done = sqlx::query(
                    "update custom_fields set label = $3, options = $4, multiple = $5, required = $6, \
                     position = $7 where workspace_id = $1 and id = $2",
                )
                .bind(def.workspace_id)
                .bind(def.id)
                .bind(&def.label)
                .bind(Json(&def.options))
                .bind(def.multiple)
                .bind(def.required)
                .bind(def.position)
                .execute(&mut *self.write.acquire().await?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("custom field"));
                }
                Ok(())
            }

            async fn delete_custom_field(&self, workspace: WorkspaceId, id: CustomFieldId) -> StoreResult<()> {
                let done = sqlx::query("delete from custom_fields where workspace_id = $1 and id = $2")
                    .bind(workspace)
                    .bind(id)
                    .execute(&mut *self.write.acquire().await?)
                    .await
                    .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("custom field"));
                }
                Ok(())
            }
        }
    };
}

impl_custom_field_store!(SqliteStore);
impl_custom_field_store!(PostgresStore);
