// The workspace's own settings: name, who sees which deals, the currency of new
// deals, and the country assumed for phone numbers written without a code.
import { useEffect, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { unwrap } from '@artel/client';
import { api } from '../../app/session';
import { useI18n } from '@artel/client/i18n';
import { Field } from '../../ui/Field';
import { toast } from '../../ui/Toast';
import { SectionError, adminError } from './common';

const CURRENCIES = ['RUB', 'USD', 'EUR', 'KZT', 'BYN', 'UAH', 'GBP', 'CNY', 'TRY', 'AED', 'UZS', 'GEL', 'AMD'];
const REGIONS = ['RU', 'KZ', 'BY', 'UA', 'UZ', 'KG', 'AM', 'GE', 'AZ', 'GB', 'US', 'DE', 'FR', 'TR', 'AE', 'CN', 'IN'];

export function WorkspaceSettings() {
  const t = useI18n();
  const qc = useQueryClient();
  const ws = useQuery({ queryKey: ['workspace'], queryFn: () => unwrap(api.http.GET('/workspace')) });
  const [name, setName] = useState('');
  const [visibility, setVisibility] = useState<'all' | 'own'>('all');
  const [currency, setCurrency] = useState('RUB');
  const [region, setRegion] = useState('RU');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!ws.data) return;
    setName(ws.data.name);
    setVisibility(ws.data.deal_visibility);
    setCurrency(ws.data.default_currency);
    setRegion(ws.data.phone_region);
  }, [ws.data]);
  const lang = t.lang === 'ru' ? 'ru' : 'en';
  const currencyName = (c: string) => {
    try {
      return new Intl.DisplayNames([lang], { type: 'currency' }).of(c) ?? c;
    } catch {
      return c;
    }
  };
  const regionName = (r: string) => {
    try {
      return new Intl.DisplayNames([lang], { type: 'region' }).of(r) ?? r;
    } catch {
      return r;
    }
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const updated = await unwrap(
        api.http.PATCH('/workspace', { body: { name: name.trim(), deal_visibility: visibility, default_currency: currency, phone_region: region } }),
      );
      qc.setQueryData(['workspace'], updated);
      toast.show(t.t('common.saved'));
    } catch (err) {
      setError(adminError(err, t));
    }
  };
  if (ws.isPending) return <div className="skeleton" style={{ height: 160 }} />;
  if (ws.isError) return <SectionError error={adminError(ws.error, t)} />;
  const currencies = CURRENCIES.includes(currency) ? CURRENCIES : [currency, ...CURRENCIES];
  const regions = REGIONS.includes(region) ? REGIONS : [region, ...REGIONS];
  return (
    <section className="section admin-section" aria-labelledby="ws-h">
      <h2 id="ws-h">{t.t('admin.tab.workspace')}</h2>
      <form onSubmit={save} style={{ maxWidth: 480 }}>
        <Field label={t.t('admin.ws.name')} required value={name} onChange={(e) => setName(e.target.value)} />
        <label className="field">
          <span>{t.t('admin.ws.visibility')}</span>
          <select className="select" value={visibility} onChange={(e) => setVisibility(e.target.value as 'all' | 'own')}>
            <option value="all">{t.t('admin.ws.visibilityAll')}</option>
            <option value="own">{t.t('admin.ws.visibilityOwn')}</option>
          </select>
        </label>
        <label className="field">
          <span>{t.t('admin.ws.currency')}</span>
          <select className="select" value={currency} onChange={(e) => setCurrency(e.target.value)}>
            {currencies.map((c) => (
              <option key={c} value={c}>
                {currencyName(c)} ({c})
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t.t('admin.ws.region')}</span>
          <select className="select" value={region} onChange={(e) => setRegion(e.target.value)}>
            {regions.map((r) => (
              <option key={r} value={r}>
                {regionName(r)}
              </option>
            ))}
          </select>
          <small className="hint">{t.t('admin.ws.regionHint')}</small>
        </label>
        <p className="hint">{t.t('admin.ws.timeZoneHint')}</p>
        <SectionError error={error} />
        <button className="btn btn-primary" type="submit">
          {t.t('common.save')}
        </button>
      </form>
    </section>
  );
}
