use std::collections::HashSet;
use std::time::Duration;

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::certificates::{
    DeleteCertificate, SaveCertificate, certificates_home, list_certificates,
};
use crate::components::{AppHeader, AppTab, ConsoleLayout, FormMessage};
use crate::domain::{
    AppError, CertificateDraft, CertificateList, CertificateStatus, CertificateView, CheckState,
    ClickAction, MessageClass, Vendor, XiaomiRegion, field, format_unix,
};
use crate::i18n::{Locale, field_label, tr, use_locale};

/// 离线推送: the app's Android push certificates, their status and IDs, and the dialogs that
/// add, edit and delete them (opened by `?add=<vendor>`, `?edit=<id>`, `?delete=<id>`, so they
/// work before hydration too).
#[component]
pub fn CertificatesPage() -> impl IntoView {
    view! {
        <ConsoleLayout>
            <AppHeader tab=AppTab::Push/>
            <Certificates home="push"/>
        </ConsoleLayout>
    }
}

/// The 【Android推送证书】 area: the certificates with status and ID, 【添加证书】 and 【编辑】.
/// On its own tab (`home` = `push`), and on 基础配置 (`basic`) once Android is ticked, as the
/// seed's Step2 has it; `reload` (the platforms' save there) fetches it again.
#[component]
pub fn Certificates(
    home: &'static str,
    #[prop(optional, into)] reload: Option<Signal<usize>>,
) -> impl IntoView {
    let l = use_locale();
    let params = use_params_map();
    let sdkappid = Memo::new(move |_| params.with(|p| p.get("sdkappid").unwrap_or_default()));
    let save = ServerAction::<SaveCertificate>::new();
    let delete = ServerAction::<DeleteCertificate>::new();
    let refresh = RwSignal::new(0u32);
    let list = Resource::new(
        move || {
            (
                sdkappid.get(),
                save.version().get(),
                delete.version().get(),
                refresh.get(),
                reload.map(|r| r.get()),
            )
        },
        |(id, ..)| list_certificates(id),
    );
    let elapsed = countdown_clock(list, refresh);
    view! {
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    // 基础配置 shows the area only once Android is ticked.
                    Ok(list) if home == "basic" && !list.android_enabled => EitherOf3::A(()),
                    Ok(list) => EitherOf3::B(view! {
                        <CertificateTable list=list.clone() sdkappid=sdkappid.get_untracked() home=home elapsed=elapsed/>
                        <Dialogs list=list sdkappid=sdkappid.get_untracked() home=home save=save delete=delete/>
                    }),
                    Err(e) => EitherOf3::C(view! { <p class="form-error">{e.message(l)}</p> }),
                }
            })}
        </Transition>
    }
}

/// Seconds since the list was last loaded, ticking in the browser; when a pending
/// certificate's time comes, the list is fetched again so its new status shows by itself.
fn countdown_clock(
    list: Resource<Result<CertificateList, AppError>>,
    refresh: RwSignal<u32>,
) -> RwSignal<i64> {
    let elapsed = RwSignal::new(0i64);
    Effect::new(move |_| {
        let tick = move || {
            elapsed.try_update(|n| *n += 1);
        };
        if let Ok(handle) = set_interval_with_handle(tick, Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    Effect::new(move |_| {
        if list.with(|l| l.is_some()) {
            elapsed.set(0);
        }
    });
    let asked_for = StoredValue::new(None::<i64>);
    Effect::new(move |_| {
        let now = elapsed.get();
        let due = list.with(|l| match l {
            Some(Ok(list)) => list
                .certificates
                .iter()
                .any(|c| c.status == CertificateStatus::Pending && c.effective_at <= list.now + now)
                .then_some(list.now),
            _ => None,
        });
        if let Some(loaded_at) = due
            && asked_for.get_value() != Some(loaded_at)
        {
            asked_for.set_value(Some(loaded_at));
            refresh.update(|n| *n += 1);
        }
    });
    elapsed
}

#[component]
fn CertificateTable(
    list: CertificateList,
    sdkappid: String,
    home: &'static str,
    elapsed: RwSignal<i64>,
) -> impl IntoView {
    let l = use_locale();
    let can_configure = super::me().is_some_and(|u| u.role.can_configure());
    let base = certificates_home(&sdkappid, home);
    let head =
        if !list.android_enabled {
            Either::Left(view! {
                <p class="notice" id="needs-android">
                    {tr(l, "cert.needs_android")} " "
                    <a href=format!("/apps/{sdkappid}?edit=platforms")>{tr(l, "app.tab_basic")}</a>
                </p>
            })
        } else {
            Either::Right(can_configure.then(|| view! {
            <a class="button primary" id="add-certificate" href=format!("{base}?add=xiaomi")>
                {tr(l, "cert.add")}
            </a>
        }))
        };
    let now = list.now;
    let rows = list
        .certificates
        .into_iter()
        .map(|c| view! { <CertificateRow cert=c base=base.clone() now=now elapsed=elapsed can_configure=can_configure/> })
        .collect_view();
    let empty = rows.is_empty();
    view! {
        <section class="card certificates">
            <div class="card-head">
                <h2>{tr(l, "cert.title")}</h2>
                {head}
            </div>
            <p class="hint">{tr(l, "cert.hint")}</p>
            <table class="table" id="certificates">
                <thead>
                    <tr>
                        <th>{tr(l, "cert.id")}</th>
                        <th>{tr(l, "field.vendor")}</th>
                        <th>{tr(l, "cert.key")}</th>
                        <th>{tr(l, "cert.status")}</th>
                        <th>{tr(l, "common.created_at")}</th>
                        <th>{tr(l, "common.updated_at")}</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {empty.then(|| view! { <p class="muted" id="no-certificates">{tr(l, "cert.none")}</p> })}
        </section>
    }
}

fn countdown(secs: i64) -> String {
    let secs = secs.max(0);
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

#[component]
fn CertificateRow(
    cert: CertificateView,
    base: String,
    now: i64,
    elapsed: RwSignal<i64>,
    can_configure: bool,
) -> impl IntoView {
    let l = use_locale();
    let id = cert.id;
    let vendor = cert.settings.vendor;
    let key = cert.settings.unique_key();
    let id_usable = cert.status == CertificateStatus::Effective || cert.previous_version_serving;
    let effective_at = cert.effective_at;
    let status = match cert.status {
        CertificateStatus::Pending => EitherOf3::A(view! {
            <span class="badge pending">{tr(l, "cert.pending")}</span>
            " "
            <span class="countdown">{move || countdown(effective_at - now - elapsed.get())}</span>
        }),
        CertificateStatus::Effective => EitherOf3::B(view! {
            <span class="badge effective">{tr(l, "cert.effective")}</span>
        }),
        CertificateStatus::Invalid => EitherOf3::C(view! {
            <span class="badge invalid">{tr(l, "cert.invalid")}</span>
        }),
    };
    view! {
        <tr data-certificate=id data-status=cert.status.as_str()>
            <td class="cert-id">
                {if id_usable {
                    Either::Left(view! { <code>{id}</code> " " <CopyButton text=id.to_string()/> })
                } else {
                    Either::Right(view! { <span class="muted">{tr(l, "cert.id_after_effective")}</span> })
                }}
            </td>
            <td>
                {vendor.label(l)}
                {(!cert.sending_supported).then(|| view! { <small class="muted block">{tr(l, "cert.sending_not_supported")}</small> })}
            </td>
            <td><code>{key}</code></td>
            <td class="cert-status">
                {status}
                <CheckNote cert=cert.clone()/>
            </td>
            <td>{format_unix(cert.created_at)}</td>
            <td>{format_unix(cert.updated_at)}</td>
            <td class="actions">
                {can_configure.then(|| view! {
                    <a class="button small edit" href=format!("{base}?edit={id}")>{tr(l, "common.edit")}</a>
                    <a class="button small danger delete" href=format!("{base}?delete={id}")>{tr(l, "common.delete")}</a>
                })}
            </td>
        </tr>
    }
}

/// The credential check's finding under the status: the vendor's refusal and its fix, or why
/// the credentials could not be verified, and whether an earlier version still serves.
#[component]
fn CheckNote(cert: CertificateView) -> impl IntoView {
    let l = use_locale();
    let check = cert.check;
    let code = check.code.map(|c| format!("{c} ")).unwrap_or_default();
    let meaning = check
        .meaning
        .as_ref()
        .map(|m| m.get(l).to_owned())
        .unwrap_or_default();
    let note = match check.state {
        CheckState::Invalid => Some(view! {
            <p class="check invalid">
                {format!("MiPush {code}{meaning}: {}", check.detail)}
                {check.fix.as_ref().map(|f| view! { <br/><span class="fix">{f.get(l).to_owned()}</span> })}
            </p>
        }.into_any()),
        CheckState::Unverified => Some(view! {
            <p class="check unverified">{tr(l, "cert.unverified")} " " {format!("{code}{}", check.detail)}</p>
        }.into_any()),
        CheckState::Passed | CheckState::NotApplicable => None,
    };
    let quota = cert.quota.map(|q| {
        let text = t!(
            if q.class == MessageClass::Public {
                "cert.quota_public"
            } else {
                "cert.quota_default"
            },
            locale = l.as_str(),
            cap = q.daily_cap,
            devices = q.devices_at_cap
        )
        .into_owned();
        view! { <p class="check quota warning" data-devices-at-cap=q.devices_at_cap>{text}</p> }
    });
    view! {
        {note}
        {cert.previous_version_serving.then(|| view! { <p class="check serving">{tr(l, "cert.previous_serving")}</p> })}
        {quota}
    }
}

#[component]
fn CopyButton(text: String) -> impl IntoView {
    let l = use_locale();
    let copied = RwSignal::new(false);
    view! {
        <button type="button" class="small copy" on:click=move |_| {
            copy_to_clipboard(text.clone());
            copied.set(true);
        }>
            {move || tr(l, if copied.get() { "cert.copied" } else { "cert.copy" })}
        </button>
    }
}

/// Browser only: the Clipboard API; a refusal (no permission) is ignored, the ID stays visible.
fn copy_to_clipboard(text: String) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let promise = w.navigator().clipboard().write_text(&text);
        leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

#[component]
fn Dialogs(
    list: CertificateList,
    sdkappid: String,
    home: &'static str,
    save: ServerAction<SaveCertificate>,
    delete: ServerAction<DeleteCertificate>,
) -> impl IntoView {
    let query = use_query_map();
    let can_configure = super::me().is_some_and(|u| u.role.can_configure());
    move || {
        if !can_configure {
            return None;
        }
        let q = query.read();
        let find = |key: &str| {
            q.get(key)
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|id| list.certificates.iter().find(|c| c.id == id).cloned())
        };
        if let Some(vendor) = q.get("add").and_then(|v| Vendor::parse(&v).ok()) {
            return Some(
                view! {
                    <CertificateDialog
                        sdkappid=sdkappid.clone()
                        home=home
                        initial=CertificateDraft::new(vendor)
                        editing=None
                        save=save
                    />
                }
                .into_any(),
            );
        }
        if let Some(cert) = find("edit") {
            return Some(
                view! {
                    <CertificateDialog
                        sdkappid=sdkappid.clone()
                        home=home
                        initial=CertificateDraft::from_settings(&cert.settings)
                        editing=Some(cert)
                        save=save
                    />
                }
                .into_any(),
            );
        }
        find("delete").map(|cert| {
            view! { <DeleteDialog sdkappid=sdkappid.clone() home=home cert=cert delete=delete/> }
                .into_any()
        })
    }
}

/// The name of a draft field in the form: `draft[package_name]`, as the server function reads it.
fn input_name(f: &str) -> String {
    format!("draft[{f}]")
}

#[component]
fn CertificateDialog(
    sdkappid: String,
    home: &'static str,
    initial: CertificateDraft,
    editing: Option<CertificateView>,
    save: ServerAction<SaveCertificate>,
) -> impl IntoView {
    let l = use_locale();
    let is_edit = editing.is_some();
    let vendor = Vendor::parse(initial.get("vendor")).unwrap_or(Vendor::Xiaomi);
    let back = certificates_home(&sdkappid, home);
    let draft = RwSignal::new(initial);
    let touched = RwSignal::new(HashSet::<String>::new());
    let server_error = super::action_error(save);
    // A new submission starts over: its answer is what shows next.
    Effect::watch(
        move || save.pending().get(),
        move |pending, _, _| {
            if *pending {
                touched.set(HashSet::new());
            }
        },
        false,
    );
    let client_errors = Memo::new(move |_| draft.with(|d| d.errors(is_edit)));
    let blocked =
        move || client_errors.with(|es| es.iter().any(|e| touched.with(|t| t.contains(&e.field))));
    let on_input = move |ev: leptos::ev::Event| {
        if let Some((f, value)) = super::changed_draft_field(&ev) {
            draft.update(|d| d.set(&f, value));
            touched.update(|t| {
                t.insert(f);
            });
        }
    };
    let stray = move || {
        server_error.get().filter(|e| {
            e.field().is_some_and(|f| {
                !vendor.fields().contains(&f) && f != field::CLICK_URL && f != field::CLICK_INTENT
            })
        })
    };
    let title = if is_edit {
        "cert.edit_title"
    } else {
        "cert.add_title"
    };
    let masked = StoredValue::new(editing.as_ref().map(|c| c.secret_masked.clone()));
    let id = editing
        .as_ref()
        .map(|c| c.id.to_string())
        .unwrap_or_default();
    let ctx = FieldCtx {
        draft,
        touched,
        client_errors,
        server_error,
        masked,
    };
    view! {
        <div class="dialog-backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="certificate-dialog-title">
                <h2 id="certificate-dialog-title">{tr(l, title)}</h2>
                <ActionForm action=save>
                    <input type="hidden" name="sdkappid" value=sdkappid.clone()/>
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="home" value=home/>
                    <input type="hidden" name=input_name("vendor") value=vendor.as_str()/>
                    <div class="form-grid" on:input=on_input>
                        <div class="field">
                            <span class="label">{field_label("vendor", l)}</span>
                            <VendorPicker current=vendor back=back.clone() locked=is_edit/>
                        </div>
                        {vendor.fields().iter().map(|&f| render_field(f, ctx, l)).collect_view()}
                    </div>
                    {move || stray().map(|e| view! { <p class="form-error" role="alert">{e.message(l)}</p> })}
                    <FormMessage error=server_error/>
                    <div class="actions">
                        <button type="submit" class="primary" id="save-certificate" disabled=blocked>
                            {tr(l, "common.confirm")}
                        </button>
                        <a class="button" href=back>{tr(l, "common.cancel")}</a>
                    </div>
                </ActionForm>
            </div>
        </div>
    }
}

/// 推送平台: one link per vendor; the form below changes with it. Fixed once saved.
#[component]
fn VendorPicker(current: Vendor, back: String, locked: bool) -> impl IntoView {
    let l = use_locale();
    if locked {
        return Either::Left(view! { <strong id="vendor">{current.label(l)}</strong> });
    }
    Either::Right(view! {
        <div class="segmented" id="vendor">
            {Vendor::ALL.into_iter().map(|v| view! {
                <a
                    href=format!("{back}?add={}", v.as_str())
                    class="segment"
                    class:active=v == current
                    data-vendor=v.as_str()
                >{v.label(l)}</a>
            }).collect_view()}
        </div>
    })
}

/// What every field of the dialog reads and writes.
#[derive(Clone)]
struct FieldCtx {
    draft: RwSignal<CertificateDraft>,
    touched: RwSignal<HashSet<String>>,
    client_errors: Memo<Vec<crate::domain::FieldError>>,
    server_error: Signal<Option<AppError>>,
    /// The stored secret, masked, when editing.
    masked: StoredValue<Option<String>>,
}

impl Copy for FieldCtx {}

/// The error to show under field `f`: the browser's own check once the user has typed in it,
/// otherwise the server's answer to the last submission.
fn field_message(ctx: FieldCtx, f: &'static str, l: Locale) -> impl IntoView {
    move || {
        let typed = ctx.touched.with(|t| {
            t.contains(f)
                || (matches!(f, field::CLICK_URL | field::CLICK_INTENT)
                    && t.contains(field::CLICK_ACTION))
        });
        let message = if typed {
            ctx.client_errors
                .with(|es| es.iter().find(|e| e.field == f).map(|e| e.message(l)))
        } else {
            ctx.server_error
                .get()
                .filter(|e| e.field() == Some(f))
                .map(|e| e.message(l))
        };
        message.map(|m| view! { <p class="field-error" data-field=f>{m}</p> })
    }
}

fn initial(ctx: FieldCtx, f: &str) -> String {
    ctx.draft.with_untracked(|d| d.get(f).to_owned())
}

fn render_field(f: &'static str, ctx: FieldCtx, l: Locale) -> AnyView {
    match f {
        field::APP_SECRET | field::MASTER_SECRET | field::CLIENT_SECRET => {
            let placeholder = ctx
                .masked
                .get_value()
                .map(|m| format!("{m} · {}", tr(l, "cert.secret_keep")))
                .unwrap_or_default();
            view! {
                <label class="field">
                    <span class="label">{field_label(f, l)}</span>
                    <input type="password" name=input_name(f) placeholder=placeholder autocomplete="new-password"/>
                    {field_message(ctx, f, l)}
                </label>
            }
            .into_any()
        }
        field::REGION => {
            let current = initial(ctx, f);
            view! {
                <label class="field">
                    <span class="label">{field_label(f, l)}</span>
                    <select name=input_name(f)>
                        {XiaomiRegion::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=current == r.as_str()>{r.label(l)}</option>
                        }).collect_view()}
                    </select>
                    {field_message(ctx, f, l)}
                </label>
            }
            .into_any()
        }
        field::CLICK_ACTION => click_action_field(ctx, l).into_any(),
        field::SERVICE_ACCOUNT => service_account_field(ctx, l).into_any(),
        _ => {
            let optional = matches!(
                f,
                field::CHANNEL_ID | field::BADGE_CLASS | field::PUBLIC_CHANNELS
            ) && ctx.draft.with_untracked(|d| {
                d.get("vendor") != Vendor::Oppo.as_str() || f != field::CHANNEL_ID
            });
            let placeholder = match f {
                field::PACKAGE_NAME => "com.example.im",
                field::BADGE_CLASS => "com.example.im.MainActivity",
                field::PUBLIC_CHANNELS => "news, promotion",
                _ => "",
            };
            view! {
                <label class="field">
                    <span class="label">
                        {field_label(f, l)}
                        {optional.then(|| view! { <small class="muted">{tr(l, "common.optional")}</small> })}
                    </span>
                    <input name=input_name(f) value=initial(ctx, f) placeholder=placeholder autocomplete="off"/>
                    {field_message(ctx, f, l)}
                </label>
            }
            .into_any()
        }
    }
}

/// 点击通知后: the target input of the chosen action shows (by CSS, so also without JavaScript).
fn click_action_field(ctx: FieldCtx, l: Locale) -> impl IntoView {
    let current = initial(ctx, field::CLICK_ACTION);
    let current = if current.is_empty() {
        "open_app".to_owned()
    } else {
        current
    };
    view! {
        <fieldset class="field click-action">
            <legend class="label">{field_label(field::CLICK_ACTION, l)}</legend>
            <div class="radios">
                {ClickAction::KINDS.into_iter().map(|kind| view! {
                    <label class="radio">
                        <input type="radio" name=input_name(field::CLICK_ACTION) value=kind checked=current == kind/>
                        {tr(l, &format!("cert.click.{kind}"))}
                    </label>
                }).collect_view()}
            </div>
            {field_message(ctx, field::CLICK_ACTION, l)}
            <div class="click-target click-url">
                <input name=input_name(field::CLICK_URL) value=initial(ctx, field::CLICK_URL)
                    placeholder="https://example.com/" aria-label=field_label(field::CLICK_URL, l)/>
                {field_message(ctx, field::CLICK_URL, l)}
            </div>
            <div class="click-target click-intent">
                <input name=input_name(field::CLICK_INTENT) value=initial(ctx, field::CLICK_INTENT)
                    placeholder="intent:#Intent;component=com.example.im/.ChatActivity;end"
                    aria-label=field_label(field::CLICK_INTENT, l)/>
                {field_message(ctx, field::CLICK_INTENT, l)}
            </div>
        </fieldset>
    }
}

/// FCM: the Firebase service-account key file, read in the browser into the text area (which
/// also takes a pasted file, so the form works without JavaScript).
fn service_account_field(ctx: FieldCtx, l: Locale) -> impl IntoView {
    let f = field::SERVICE_ACCOUNT;
    let placeholder = ctx
        .masked
        .get_value()
        .map(|m| format!("{m} · {}", tr(l, "cert.secret_keep")))
        .unwrap_or_else(|| tr(l, "cert.service_account_hint"));
    let on_file = move |ev: leptos::ev::Event| {
        read_chosen_file(&ev, move |text| {
            ctx.draft.update(|d| d.set(f, text));
            ctx.touched.update(|t| {
                t.insert(f.to_owned());
            });
        });
    };
    view! {
        <label class="field">
            <span class="label">{field_label(f, l)}</span>
            <input type="file" accept=".json,application/json" id="service-account-file" on:change=on_file/>
            <textarea name=input_name(f) rows="6" placeholder=placeholder
                prop:value=move || ctx.draft.with(|d| d.get(f).to_owned())></textarea>
            {field_message(ctx, f, l)}
        </label>
    }
}

/// Browser only: the text of the file chosen in a file input.
fn read_chosen_file(ev: &leptos::ev::Event, done: impl FnOnce(String) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        let promise = file.text();
        leptos::task::spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(promise).await
                && let Some(text) = text.as_string()
            {
                done(text);
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, done);
}

#[component]
fn DeleteDialog(
    sdkappid: String,
    home: &'static str,
    cert: CertificateView,
    delete: ServerAction<DeleteCertificate>,
) -> impl IntoView {
    let l = use_locale();
    let error = super::action_error(delete);
    let back = certificates_home(&sdkappid, home);
    let question = t!("cert.delete_confirm", locale = l.as_str(), id = cert.id).into_owned();
    view! {
        <div class="dialog-backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="delete-dialog-title">
                <h2 id="delete-dialog-title">{tr(l, "cert.delete_title")}</h2>
                <p>{question}</p>
                <ActionForm action=delete>
                    <input type="hidden" name="sdkappid" value=sdkappid.clone()/>
                    <input type="hidden" name="id" value=cert.id.to_string()/>
                    <input type="hidden" name="home" value=home/>
                    <div class="actions">
                        <button type="submit" class="danger" id="confirm-delete">{tr(l, "common.delete")}</button>
                        <a class="button" href=back>{tr(l, "common.cancel")}</a>
                    </div>
                </ActionForm>
                <FormMessage error=error/>
            </div>
        </div>
    }
}
