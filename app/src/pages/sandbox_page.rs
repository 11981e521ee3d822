use std::time::Duration;

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::sandbox::{SandboxAddDevice, SandboxCreateApp, SandboxSend, sandbox_apps};
use crate::components::{ConsoleLayout, FieldMessage, FormMessage};
use crate::domain::{SandboxAppView, SandboxDeviceView, format_unix};
use crate::i18n::{tr, use_locale};

/// 沙箱: the MiPush stand-in's apps, their credentials, and each virtual device as a phone whose
/// notification shade updates by itself.
#[component]
pub fn SandboxPage() -> impl IntoView {
    let l = use_locale();
    view! {
        <ConsoleLayout>
            <h1>{tr(l, "sandbox.title")}</h1>
            <p class="hint">{tr(l, "sandbox.hint")}</p>
            <Sandbox/>
        </ConsoleLayout>
    }
}

#[component]
fn Sandbox() -> impl IntoView {
    let l = use_locale();
    let can_change = super::me().is_some_and(|u| u.role.can_test_push());
    let create = ServerAction::<SandboxCreateApp>::new();
    let add = ServerAction::<SandboxAddDevice>::new();
    let send = ServerAction::<SandboxSend>::new();
    let create_error = super::action_error(create);
    let send_error = super::action_error(send);
    let tick = RwSignal::new(0u32);
    // Only in the browser: the shade refreshes every two seconds, until the page is left.
    Effect::new(move |_| {
        let tick_on = move || {
            tick.try_update(|n| *n += 1);
        };
        if let Ok(handle) = set_interval_with_handle(tick_on, Duration::from_secs(2)) {
            on_cleanup(move || handle.clear());
        }
    });
    let apps = Resource::new(
        move || {
            (
                create.version().get(),
                add.version().get(),
                send.version().get(),
                tick.get(),
            )
        },
        |_| sandbox_apps(),
    );
    let sent = move || send.value().get().and_then(|r| r.ok());
    view! {
        <Show when=move || can_change>
            <section class="card">
                <h2>{tr(l, "sandbox.create")}</h2>
                <ActionForm action=create>
                    <div class="inline-form">
                        <label>{tr(l, "field.package_name")}<input name="package_name" placeholder="com.example.im" required/></label>
                        <button type="submit" class="primary" id="create-sandbox-app">{tr(l, "sandbox.create_submit")}</button>
                    </div>
                    <FieldMessage error=create_error field="package_name"/>
                    <FormMessage error=create_error/>
                </ActionForm>
            </section>
        </Show>
        <FormMessage error=send_error/>
        <FieldMessage error=send_error field="title"/>
        {move || sent().map(|r| view! {
            <p class="notice" id="send-result">
                {format!("MiPush: code {} · {}", r.code, r.description)}
                {r.message_id.map(|id| format!(" · {id}"))}
            </p>
        })}
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Ok(None) => Either::Left(view! { <p class="notice">{tr(l, "sandbox.disabled")}</p> }.into_any()),
                    Ok(Some(list)) => Either::Left(list.into_iter().map(|app| view! {
                        <SandboxAppCard app=app can_change=can_change add=add send=send/>
                    }).collect_view().into_any()),
                    Err(e) => Either::Right(view! { <p class="form-error">{e.message(l)}</p> }),
                }
            })}
        </Transition>
    }
}

#[component]
fn SandboxAppCard(
    app: SandboxAppView,
    can_change: bool,
    add: ServerAction<SandboxAddDevice>,
    send: ServerAction<SandboxSend>,
) -> impl IntoView {
    let l = use_locale();
    let package = app.package_name.clone();
    view! {
        <section class="card sandbox-app" data-package=app.package_name.clone()>
            <h2>{app.package_name.clone()}</h2>
            <dl class="credentials">
                <dt>"AppID"</dt><dd><code>{app.app_id.clone()}</code></dd>
                <dt>"AppKey"</dt><dd><code>{app.app_key.clone()}</code></dd>
                <dt>"AppSecret"</dt><dd><code>{app.app_secret.clone()}</code></dd>
            </dl>
            {can_change.then(|| view! {
                <ActionForm action=add>
                    <input type="hidden" name="package_name" value=package.clone()/>
                    <button type="submit" class="add-device">{tr(l, "sandbox.add_device")}</button>
                </ActionForm>
            })}
            <div class="phones">
                {app.devices.into_iter().map(|d| view! { <Phone device=d can_change=can_change send=send/> }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn Phone(
    device: SandboxDeviceView,
    can_change: bool,
    send: ServerAction<SandboxSend>,
) -> impl IntoView {
    let l = use_locale();
    let reg_id = device.reg_id.clone();
    view! {
        <div class="phone" data-reg-id=device.reg_id.clone() class:uninstalled=!device.installed>
            <div class="phone-bar">{tr(l, "sandbox.shade")}</div>
            <ul class="shade">
                {device.notifications.into_iter().map(|n| view! {
                    <li class="notification">
                        <strong>{n.title}</strong>
                        <span>{n.description}</span>
                        <small>{format_unix(n.received_at_ms / 1000)}</small>
                    </li>
                }).collect_view()}
            </ul>
            <p class="reg-id"><code>{device.reg_id.clone()}</code></p>
            {(can_change && device.installed).then(|| view! {
                <ActionForm action=send>
                    <input type="hidden" name="reg_id" value=reg_id.clone()/>
                    <input name="title" value="a new message" maxlength="49"/>
                    <input name="description" placeholder=tr(l, "sandbox.description") maxlength="127"/>
                    <button type="submit" class="small send">{tr(l, "sandbox.send")}</button>
                </ActionForm>
            })}
        </div>
    }
}
