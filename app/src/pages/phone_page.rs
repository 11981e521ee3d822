use std::time::Duration;

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::certificates::list_certificates;
use crate::api::sandbox::{PhoneSignIn, phone_logout, phone_shade, phone_tap};
use crate::components::{AppHeader, AppTab, ConsoleLayout, FieldMessage, FormMessage};
use crate::domain::{PhoneSession, Vendor, format_unix};
use crate::i18n::{tr, use_locale};

/// 虚拟手机: a sandbox device acting as the whole client app — it registers with the sandbox,
/// logs a user in, reports its regId with the certificate ID, and keeps the app's connection
/// open. "Kill app" closes the connection, so new messages arrive as notifications instead.
#[component]
pub fn PhonePage() -> impl IntoView {
    view! {
        <ConsoleLayout>
            <AppHeader tab=AppTab::Phone/>
            <Phone/>
        </ConsoleLayout>
    }
}

/// What the phone's app shows: a message that arrived in-band, or that the login ended.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InApp {
    text: String,
    from: String,
    at: i64,
}

/// The app process: whether its connection is open, and what came over it.
#[derive(Clone, Copy)]
struct AppProcess {
    running: RwSignal<bool>,
    messages: RwSignal<Vec<InApp>>,
    /// `kicked` or `logged_out` once the server ended the login.
    ended: RwSignal<Option<String>>,
}

#[component]
fn Phone() -> impl IntoView {
    let l = use_locale();
    let params = use_params_map();
    let sdkappid = Memo::new(move |_| params.with(|p| p.get("sdkappid").unwrap_or_default()));
    let certs = Resource::new(move || sdkappid.get(), list_certificates);
    let sign_in = ServerAction::<PhoneSignIn>::new();
    let error = super::action_error(sign_in);
    let phone = Memo::new(move |_| sign_in.value().get().and_then(|r| r.ok()));
    let process = AppProcess {
        running: RwSignal::new(false),
        messages: RwSignal::new(Vec::new()),
        ended: RwSignal::new(None),
    };
    // A fresh sign-in starts the app.
    Effect::new(move |_| {
        if let Some(p) = phone.get() {
            process.messages.set(Vec::new());
            process.ended.set(None);
            socket::open(&p.session, process);
        }
    });
    view! {
        <section class="card">
            <h2>{tr(l, "phone.title")}</h2>
            <p class="hint">{tr(l, "phone.hint")}</p>
            <noscript><p class="notice">{tr(l, "phone.needs_js")}</p></noscript>
            <ActionForm action=sign_in>
                <input type="hidden" name="sdkappid" value=move || sdkappid.get()/>
                <div class="inline-form">
                    <label>{tr(l, "cert.id")}
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                let list = certs.await.map(|l| l.certificates).unwrap_or_default();
                                view! {
                                    <select name="certificate_id" id="phone-certificate">
                                        {list.into_iter().filter(|c| c.settings.vendor == Vendor::Xiaomi).map(|c| view! {
                                            <option value=c.id.to_string()>
                                                {format!("{} · {}", c.id, c.settings.package_name.clone().unwrap_or_default())}
                                            </option>
                                        }).collect_view()}
                                    </select>
                                }
                            })}
                        </Transition>
                    </label>
                    <label>{tr(l, "diag.user")}<input name="user_id" id="phone-user" required/></label>
                    <button type="submit" class="primary" id="phone-sign-in">{tr(l, "phone.sign_in")}</button>
                </div>
                <FieldMessage error=error field="certificate_id"/>
                <FieldMessage error=error field="user_id"/>
                <FormMessage error=error/>
            </ActionForm>
        </section>
        {move || phone.get().map(|p| view! { <Handset p=p process=process/> })}
    }
}

#[component]
fn Handset(p: PhoneSession, process: AppProcess) -> impl IntoView {
    let l = use_locale();
    let reg_id = p.reg_id.clone();
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        let tick_on = move || {
            tick.try_update(|n| *n += 1);
        };
        if let Ok(handle) = set_interval_with_handle(tick_on, Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    });
    let shade = Resource::new(
        move || (reg_id.clone(), tick.get()),
        |(reg_id, _)| phone_shade(reg_id),
    );
    let session = StoredValue::new(p.session.clone());
    let phone = StoredValue::new(p.reg_id.clone());
    // Notifications tapped on this page: the shade keeps them, the tap is reported once.
    let tapped = RwSignal::new(Vec::<String>::new());
    let tap = move |message_id: String| {
        leptos::task::spawn_local(async move {
            if phone_tap(phone.get_value(), message_id.clone())
                .await
                .is_ok()
            {
                tapped.update(|t| t.push(message_id));
            }
        });
    };
    let kill = move |_| {
        socket::close();
        process.running.set(false);
    };
    let open = move |_| {
        process.ended.set(None);
        socket::open(&session.get_value(), process);
    };
    let logout = move |_| {
        socket::close();
        process.running.set(false);
        leptos::task::spawn_local(async move {
            if phone_logout(session.get_value()).await.is_ok() {
                process.ended.set(Some("logged_out".into()));
            }
        });
    };
    let state = move || match (process.running.get(), process.ended.get()) {
        (_, Some(why)) => tr(l, &format!("phone.{why}")),
        (true, None) => tr(l, "phone.running"),
        (false, None) => tr(l, "phone.killed"),
    };
    view! {
        <section class="phone" id="phone" data-running=move || process.running.get().to_string()>
            <div class="phone-bar">
                <span>{p.user_id.clone()}</span>
                <span class="muted">"regId " <code id="phone-reg-id">{p.reg_id.clone()}</code></span>
            </div>
            <p class="phone-state" id="phone-state">{state}</p>
            <div class="phone-actions">
                <button id="kill-app" on:click=kill disabled=move || !process.running.get()>{tr(l, "phone.kill")}</button>
                <button id="open-app" on:click=open disabled=move || process.running.get() || process.ended.get().is_some()>{tr(l, "phone.open")}</button>
                <button id="phone-logout" on:click=logout disabled=move || process.ended.get().is_some()>{tr(l, "phone.logout")}</button>
            </div>
            <h3>{tr(l, "phone.shade")}</h3>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let items = shade.await.unwrap_or_default();
                    if items.is_empty() {
                        Either::Left(view! { <p class="muted">{tr(l, "phone.no_notifications")}</p> })
                    } else {
                        Either::Right(view! {
                            <ul class="shade" id="phone-shade">
                                {items.into_iter().map(|n| {
                                    let id = n.message_id.clone();
                                    let done = {
                                        let id = id.clone();
                                        Memo::new(move |_| tapped.with(|t| t.contains(&id)))
                                    };
                                    view! {
                                        <li data-message-id=n.message_id.clone()>
                                            <strong>{n.title}</strong><div>{n.description}</div>
                                            <button type="button" class="small tap" disabled=done
                                                on:click=move |_| tap(id.clone())>
                                                {move || tr(l, if done.get() { "phone.tapped" } else { "phone.tap" })}
                                            </button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        })
                    }
                })}
            </Transition>
            <h3>{tr(l, "phone.in_app")}</h3>
            <ul class="in-app" id="in-app">
                {move || process.messages.get().into_iter().map(|m| view! {
                    <li><span class="muted">{format!("{} · {}", format_unix(m.at), m.from)}</span><div>{m.text}</div></li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// The phone app's `/sdk/v1/connect` WebSocket (browser only).
mod socket {
    use super::AppProcess;

    #[cfg(feature = "hydrate")]
    thread_local! {
        static SOCKET: std::cell::RefCell<Option<web_sys::WebSocket>> = const { std::cell::RefCell::new(None) };
    }

    /// Starts the app: opens its connection with the login's session.
    pub fn open(session: &str, process: AppProcess) {
        #[cfg(feature = "hydrate")]
        {
            use leptos::prelude::*;
            use wasm_bindgen::JsCast;
            use wasm_bindgen::closure::Closure;

            close();
            let Some(location) = web_sys::window().map(|w| w.location()) else {
                return;
            };
            let scheme = match location.protocol().as_deref() {
                Ok("https:") => "wss",
                _ => "ws",
            };
            let host = location.host().unwrap_or_default();
            let url = format!("{scheme}://{host}/sdk/v1/connect?session={session}");
            let Ok(ws) = web_sys::WebSocket::new(&url) else {
                return;
            };
            let on_open = Closure::<dyn FnMut()>::new(move || process.running.set(true));
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |ev: web_sys::MessageEvent| {
                    let Some(text) = ev.data().as_string() else {
                        return;
                    };
                    let Ok(frame) = serde_json::from_str::<serde_json::Value>(&text) else {
                        return;
                    };
                    match frame["type"].as_str() {
                        Some("message") => {
                            process.messages.update(|m| m.push(super::in_app(&frame)))
                        }
                        Some(why @ ("kicked" | "logged_out")) => {
                            process.ended.set(Some(why.to_owned()))
                        }
                        _ => {}
                    }
                },
            );
            // The server closed it (kicked, logged out, restarted): the app is no longer
            // connected. A socket this page closed itself is no longer the current one.
            let me = ws.clone();
            let on_close = Closure::<dyn FnMut()>::new(move || {
                let current = SOCKET.with(|s| s.borrow().as_ref() == Some(&me));
                if current {
                    SOCKET.with(|s| s.borrow_mut().take());
                    process.running.set(false);
                }
            });
            ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
            // The handlers live as long as the page: one set per opening of the app.
            on_open.forget();
            on_message.forget();
            on_close.forget();
            SOCKET.with(|s| *s.borrow_mut() = Some(ws));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (session, process);
    }

    /// Kills the app: its connection closes, as when the system ends the process.
    pub fn close() {
        #[cfg(feature = "hydrate")]
        SOCKET.with(|s| {
            if let Some(ws) = s.borrow_mut().take() {
                let _ = ws.close();
            }
        });
    }
}

/// A message frame as the app shows it: the text of its text elements, else its type.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn in_app(frame: &serde_json::Value) -> InApp {
    let text = frame["msg_body"]
        .as_array()
        .map(|elems| {
            elems
                .iter()
                .map(|e| match e["MsgContent"]["Text"].as_str() {
                    Some(t) => t.to_owned(),
                    None => format!("[{}]", e["MsgType"].as_str().unwrap_or("?")),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    InApp {
        text,
        from: frame["from_account"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        at: frame["msg_time"].as_i64().unwrap_or_default(),
    }
}
