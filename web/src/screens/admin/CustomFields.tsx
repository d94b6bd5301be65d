// Custom fields of deals, contacts and companies: define (label, key, type,
// list choices, required), edit what the server lets change, delete.
import { useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import type { components } from '@artel/client';
import { api } from '../../app/session';
import { useI18n, type Key } from '@artel/client/i18n';
import { Dialog } from '../../ui/Dialog';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { Confirm, SectionError, adminError } from './common';
import { fieldKey } from './logic';

type Def = components['schemas']['CustomFieldDto'];
type Kind = components['schemas']['FieldKind'];
type Entity = 'deal' | 'contact' | 'company';
const ENTITIES: Entity[] = ['deal', 'contact', 'company'];
const KINDS: Kind[] = ['text', 'number', 'money', 'date', 'list', 'user', 'link'];
const kindKey = (k: Kind) => `admin.cf.kind.${k}` as Key;
const entityKey = (e: Entity) => `admin.cf.entity.${e}` as Key;
const lines = (s: string) => s.split('\n').map((x) => x.trim()).filter(Boolean);

export function CustomFields() {
  const t = useI18n();
  const qc = useQueryClient();
  const [entity, setEntity] = useState<Entity>('deal');
  const defs = useQuery({ queryKey: ['custom-fields'], queryFn: () => unwrap(api.http.GET('/custom-fields', {})) });
  const [label, setLabel] = useState('');
  const [key, setKey] = useState('');
  const [keyTouched, setKeyTouched] = useState(false);
  const [kind, setKind] = useState<Kind>('text');
  const [options, setOptions] = useState('');
  const [multiple, setMultiple] = useState(false);
  const [required, setRequired] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Def | null>(null);
  const [deleting, setDeleting] = useState<Def | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: ['custom-fields'] });

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const k = keyTouched ? key.trim() : fieldKey(label);
    if (!k) return setError(t.t('admin.cf.keyNeeded'));
    if (kind === 'list' && lines(options).length === 0) return setError(t.t('admin.cf.optionsNeeded'));
    try {
      await unwrap(
        api.http.POST('/custom-fields', {
          body: { entity, key: k, label: label.trim(), kind, options: kind === 'list' ? lines(options) : [], multiple: kind === 'list' && multiple, required },
        }),
      );
      toast.show(t.t('admin.cf.created', { label: label.trim() }));
      setLabel('');
      setKey('');
      setKeyTouched(false);
      setOptions('');
      setMultiple(false);
      setRequired(false);
      await refresh();
    } catch (err) {
      setError(adminError(err, t));
    }
  };

  const shown = (defs.data ?? []).filter((d) => d.entity === entity).sort((a, b) => a.position - b.position);
  return (
    <section className="section admin-section" aria-labelledby="cf-h">
      <h2 id="cf-h">{t.t('admin.tab.fields')}</h2>
      <div className="tabs" role="tablist" aria-label={t.t('admin.cf.entity')} style={{ marginBottom: 12 }}>
        {ENTITIES.map((x) => (
          <button key={x} type="button" role="tab" className="btn btn-ghost" aria-selected={x === entity} onClick={() => setEntity(x)}>
            {t.t(entityKey(x))}
          </button>
        ))}
      </div>
      {defs.isError && <SectionError error={adminError(defs.error, t)} />}
      {shown.length === 0 && defs.isSuccess ? (
        <p className="muted">{t.t('admin.cf.none')}</p>
      ) : (
        <table className="data" aria-label={t.t(entityKey(entity))}>
          <thead>
            <tr>
              <th scope="col">{t.t('admin.field.label')}</th>
              <th scope="col">{t.t('admin.field.key')}</th>
              <th scope="col">{t.t('admin.cf.kind')}</th>
              <th scope="col">{t.t('admin.field.options')}</th>
              <th scope="col">
                <span className="sr-only">{t.t('admin.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <tr key={d.id} data-testid="cf-row">
                <td>
                  {d.label}
                  {d.required && <span className="tag" style={{ marginLeft: 6 }}>{t.t('admin.cf.required')}</span>}
                </td>
                <td>
                  <code>{d.key}</code>
                </td>
                <td>{t.t(kindKey(d.kind))}</td>
                <td>{d.options.join(', ') || t.t('common.none')}</td>
                <td>
                  <div className="row">
                    <button className="btn btn-ghost" onClick={() => setEditing(d)} aria-label={`${t.t('common.edit')}: ${d.label}`}>
                      {t.t('common.edit')}
                    </button>
                    <button className="btn btn-ghost" onClick={() => setDeleting(d)} aria-label={`${t.t('common.delete')}: ${d.label}`}>
                      {t.t('common.delete')}
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h3 style={{ marginTop: 20 }}>{t.t('admin.cf.new', { entity: t.t(entityKey(entity)) })}</h3>
      <form onSubmit={create} style={{ maxWidth: 480 }}>
        <Field label={t.t('admin.field.label')} required value={label} onChange={(e) => setLabel(e.target.value)} />
        <Field
          label={t.t('admin.field.key')}
          hint={t.t('admin.cf.keyHint')}
          value={keyTouched ? key : fieldKey(label)}
          onChange={(e) => {
            setKeyTouched(true);
            setKey(e.target.value);
          }}
        />
        <label className="field">
          <span>{t.t('admin.cf.kind')}</span>
          <select className="select" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t.t(kindKey(k))}
              </option>
            ))}
          </select>
        </label>
        {kind === 'list' && (
          <>
            <label className="field">
              <span>{t.t('admin.cf.optionsLines')}</span>
              <textarea className="textarea" rows={4} value={options} onChange={(e) => setOptions(e.target.value)} />
            </label>
            <label className="check">
              <input type="checkbox" checked={multiple} onChange={(e) => setMultiple(e.target.checked)} /> {t.t('admin.cf.multiple')}
            </label>
          </>
        )}
        <label className="check">
          <input type="checkbox" checked={required} onChange={(e) => setRequired(e.target.checked)} /> {t.t('admin.cf.requiredLong')}
        </label>
        <SectionError error={error} />
        <button className="btn btn-primary" type="submit" style={{ marginTop: 8 }}>
          {t.t('admin.cf.add')}
        </button>
      </form>
      {editing && <EditField def={editing} onClose={() => setEditing(null)} onSaved={refresh} />}
      {deleting && (
        <Confirm
          title={t.t('admin.cf.deleteTitle', { label: deleting.label })}
          text={t.t('admin.cf.deleteText')}
          action={t.t('common.delete')}
          danger
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            try {
              await unwrap(api.http.DELETE('/custom-fields/{id}', { params: { path: { id: deleting.id } } }));
              toast.show(t.t('admin.deleted'));
            } catch (err) {
              setError(adminError(err, t));
            }
            await refresh();
          }}
        />
      )}
    </section>
  );
}

function EditField({ def, onClose, onSaved }: { def: Def; onClose: () => void; onSaved: () => Promise<unknown> }) {
  const t = useI18n();
  const [label, setLabel] = useState(def.label);
  const [options, setOptions] = useState(def.options.join('\n'));
  const [multiple, setMultiple] = useState(def.multiple);
  const [required, setRequired] = useState(def.required);
  const [error, setError] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await unwrap(
        api.http.PATCH('/custom-fields/{id}', {
          params: { path: { id: def.id } },
          body: def.kind === 'list' ? { label: label.trim(), options: lines(options), multiple, required } : { label: label.trim(), required },
        }),
      );
      toast.show(t.t('common.saved'));
      await onSaved();
      onClose();
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  return (
    <Dialog title={t.t('admin.cf.editTitle', { label: def.label })} onClose={onClose}>
      <form onSubmit={save}>
        <Field label={t.t('admin.field.label')} required value={label} onChange={(e) => setLabel(e.target.value)} />
        <p className="hint">{t.t('admin.cf.fixed', { key: def.key, kind: t.t(kindKey(def.kind)) })}</p>
        {def.kind === 'list' && (
          <>
            <label className="field">
              <span>{t.t('admin.cf.optionsLines')}</span>
              <textarea className="textarea" rows={4} value={options} onChange={(e) => setOptions(e.target.value)} />
            </label>
            <label className="check">
              <input type="checkbox" checked={multiple} onChange={(e) => setMultiple(e.target.checked)} /> {t.t('admin.cf.multiple')}
            </label>
          </>
        )}
        <label className="check">
          <input type="checkbox" checked={required} onChange={(e) => setRequired(e.target.checked)} /> {t.t('admin.cf.requiredLong')}
        </label>
        <SectionError error={error} />
        <div className="row" style={{ justifyContent: 'flex-end', marginTop: 12 }}>
          <button type="button" className="btn" onClick={onClose}>
            {t.t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary">
            {t.t('common.save')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
