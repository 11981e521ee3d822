use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::certificates_page::Certificates;
use crate::api::apps::{GenerateUsersig, RevealSecretKey, SaveLoginPolicy, SavePlatforms, get_app};
use crate::api::push::load_push_stats;
use crate::components::{
    AppHeader, AppTab, ConsoleLayout, FieldMessage, FormMessage, PushChart, ReachFunnel,
};
use crate::domain::{AppDetail, AppError, Platform, format_unix};
use crate::i18n::{tr, use_locale};

/// An app's configuration; the 基础配置 tab holds its platforms, then (once Android is ticked)
/// the 【Android推送证书】 area as the seed's Step2 has it, the login policy, the secret key and
/// a UserSig for trying the client side.
#[component]
pub fn AppPage() -> impl IntoView {
    let params = use_params_map();
    let sdkappid = move || params.with(|p| p.get("sdkappid").unwrap_or_default());
    let save = ServerAction::<SavePlatforms>::new();
    let app = Resource::new(
        move || (sdkappid(), save.version().get()),
        |(id, _)| get_app(id),
    );
    view! {
        <ConsoleLayout>
            <AppHeader tab=AppTab::Basic/>
            <AppConfig app=app save=save part=ConfigPart::Platforms/>
            // Each with its own resource at the page's top level: a resource created inside
            // another's Suspend may be numbered differently on the server and in the browser.
            <Certificates home="basic" reload=save.version()/>
            <AppConfig app=app save=save part=ConfigPart::Rest/>
            <StatsCard/>
        </ConsoleLayout>
    }
}

/// Which cards of the app's configuration: the platforms, or the rest below the certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConfigPart {
    Platforms,
    Rest,
}

#[component]
fn AppConfig(
    app: Resource<Result<AppDetail, AppError>>,
    save: ServerAction<SavePlatforms>,
    part: ConfigPart,
) -> impl IntoView {
    let l = use_locale();
    let query = use_query_map();
    let editing =
        Signal::derive(move || query.with(|q| q.get("edit").as_deref() == Some("platforms")));
    view! {
        <Transition fallback=move || view! { <p class="loading">{tr(l, "common.loading")}</p> }>
            {move || Suspend::new(async move {
                match (app.await, part) {
                    (Ok(app), ConfigPart::Platforms) => {
                        EitherOf3::A(view! { <PlatformsCard app=app editing=editing save=save/> })
                    }
                    (Ok(app), ConfigPart::Rest) => EitherOf3::B(view! { <AppCards app=app/> }),
                    (Err(e), ConfigPart::Platforms) => {
                        EitherOf3::C(Some(view! { <p class="form-error">{e.message(l)}</p> }))
                    }
                    (Err(_), ConfigPart::Rest) => EitherOf3::C(None),
                }
            })}
        </Transition>
    }
}

#[component]
fn PlatformsCard(
    app: AppDetail,
    editing: Signal<bool>,
    save: ServerAction<SavePlatforms>,
) -> impl IntoView {
    let l = use_locale();
    let can_configure = super::me().is_some_and(|u| u.role.can_configure());
    let base = format!("/apps/{}", app.sdkappid);
    view! {
        <section class="card platforms">
            <div class="card-head">
                <h2>{tr(l, "app.platforms")}</h2>
                <Show when=move || can_configure && !editing.get()>
                    <a class="button" id="edit-platforms" href=format!("{base}?edit=platforms")>
                        {tr(l, "common.edit")}
                    </a>
                </Show>
            </div>
            {
                let app = app.clone();
                move || if editing.get() && can_configure {
                    Either::Left(view! { <PlatformsForm app=app.clone() save=save/> })
                } else {
                    Either::Right(view! { <PlatformsList platforms=app.platforms.clone()/> })
                }
            }
        </section>
    }
}

#[component]
fn AppCards(app: AppDetail) -> impl IntoView {
    let can_configure = super::me().is_some_and(|u| u.role.can_configure());
    view! {
        <LoginPolicyCard app=app.clone() can_change=can_configure/>
        <SecretKeyCard app=app.clone() can_reveal=can_configure/>
        <UserSigCard sdkappid=app.sdkappid.to_string() can_generate=can_configure/>
    }
}

#[component]
fn PlatformsList(platforms: Vec<Platform>) -> impl IntoView {
    let l = use_locale();
    if platforms.is_empty() {
        return Either::Left(
            view! { <p class="muted" id="platforms">{tr(l, "app.no_platforms")}</p> },
        );
    }
    Either::Right(view! {
        <ul class="chips" id="platforms">
            {platforms.into_iter().map(|p| view! { <li data-platform=p.as_str()>{p.label(l)}</li> }).collect_view()}
        </ul>
    })
}

#[component]
fn PlatformsForm(app: AppDetail, save: ServerAction<SavePlatforms>) -> impl IntoView {
    let l = use_locale();
    let error = super::action_error(save);
    let cancel = format!("/apps/{}", app.sdkappid);
    view! {
        <ActionForm action=save>
            <input type="hidden" name="sdkappid" value=app.sdkappid.to_string()/>
            <div class="checkbox-grid">
                {Platform::ALL.into_iter().enumerate().map(|(i, p)| view! {
                    <label class="checkbox">
                        <input
                            type="checkbox"
                            name=format!("platforms[{i}]")
                            value=p.as_str()
                            checked=app.platforms.contains(&p)
                        />
                        {p.label(l)}
                    </label>
                }).collect_view()}
            </div>
            <FieldMessage error=error field="platforms"/>
            <FormMessage error=error/>
            <div class="actions">
                <button type="submit" class="primary" id="save-platforms">{tr(l, "common.save")}</button>
                <a class="button" href=cancel>{tr(l, "common.cancel")}</a>
            </div>
        </ActionForm>
    }
}

/// 多端登录: how many logins of one user may be active on one platform; a login beyond that
/// kicks the oldest, whose device then gets no push.
#[component]
fn LoginPolicyCard(app: AppDetail, can_change: bool) -> impl IntoView {
    let l = use_locale();
    let save = ServerAction::<SaveLoginPolicy>::new();
    let error = super::action_error(save);
    let initial = app.devices_per_platform;
    let current = move || {
        save.value()
            .get()
            .and_then(|r| r.ok())
            .map_or(initial, |a| a.devices_per_platform)
    };
    view! {
        <section class="card login-policy" id="login-policy">
            <h2>{tr(l, "app.login_policy")}</h2>
            <p class="hint">{tr(l, "app.login_policy_hint")}</p>
            <p>{tr(l, "field.devices_per_platform")}": "<strong id="devices-per-platform">{current}</strong></p>
            <Show when=move || can_change>
                <ActionForm action=save>
                    <input type="hidden" name="sdkappid" value=app.sdkappid.to_string()/>
                    <div class="inline-form">
                        <label>{tr(l, "field.devices_per_platform")}
                            <input type="number" name="devices_per_platform" min="1" max="10" value=initial required/>
                        </label>
                        <button type="submit" class="primary" id="save-login-policy">{tr(l, "common.save")}</button>
                    </div>
                    <FieldMessage error=error field="devices_per_platform"/>
                    <FormMessage error=error/>
                </ActionForm>
            </Show>
        </section>
    }
}

/// How UserSig works here, and a test UserSig for owner and admin.
#[component]
fn UserSigCard(sdkappid: String, can_generate: bool) -> impl IntoView {
    let l = use_locale();
    let generate = ServerAction::<GenerateUsersig>::new();
    let error = super::action_error(generate);
    let made = move || generate.value().get().and_then(|r| r.ok());
    view! {
        <section class="card usersig" id="usersig">
            <h2>"UserSig"</h2>
            <p class="hint">{tr(l, "usersig.hint")}</p>
            {can_generate.then(|| view! {
                <ActionForm action=generate>
                    <input type="hidden" name="sdkappid" value=sdkappid.clone()/>
                    <div class="inline-form">
                        <label>{tr(l, "field.user_id")}<input name="identifier" value="administrator" autocomplete="off"/></label>
                        <label>{tr(l, "field.expire")}<input name="expire" placeholder="604800" inputmode="numeric"/></label>
                        <button type="submit" id="generate-usersig">{tr(l, "usersig.generate")}</button>
                    </div>
                    <FieldMessage error=error field="identifier"/>
                    <FieldMessage error=error field="expire"/>
                    <FormMessage error=error/>
                </ActionForm>
            })}
            {move || made().map(|m| view! {
                <p>{format!("{} · {} {}", m.identifier, tr(l, "usersig.until"), format_unix(m.expire_at))}</p>
                <pre class="request" id="generated-usersig">{m.usersig}</pre>
            })}
        </section>
    }
}

/// Pushes over time by outcome: the last 24 hours by hour, or (`?window=30d`) 30 days by day.
#[component]
fn StatsCard() -> impl IntoView {
    let l = use_locale();
    let params = use_params_map();
    let query = use_query_map();
    let sdkappid = move || params.with(|p| p.get("sdkappid").unwrap_or_default());
    let window = Memo::new(move |_| {
        query
            .with(|q| q.get("window"))
            .filter(|w| w == "30d")
            .unwrap_or_else(|| "24h".into())
    });
    let stats = Resource::new(
        move || (sdkappid(), window.get()),
        |(id, w)| load_push_stats(id, w),
    );
    view! {
        <section class="card stats" id="push-stats">
            <div class="card-head">
                <h2>{tr(l, "chart.title")}</h2>
                <div class="segmented">
                    <a class="segment" class:active=move || window.get() == "24h" href="?window=24h">{tr(l, "chart.24h")}</a>
                    <a class="segment" class:active=move || window.get() == "30d" href="?window=30d">{tr(l, "chart.30d")}</a>
                </div>
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    stats.await.ok().map(|s| view! { <PushChart stats=s.clone()/><ReachFunnel stats=s/> })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SecretKeyCard(app: AppDetail, can_reveal: bool) -> impl IntoView {
    let l = use_locale();
    let reveal = ServerAction::<RevealSecretKey>::new();
    let error = super::action_error(reveal);
    let shown = move || reveal.value().get().and_then(|r| r.ok());
    let masked = app.secret_key_masked.clone();
    view! {
        <section class="card secret-key">
            <h2>{tr(l, "app.secret_key")}</h2>
            <p class="hint">{tr(l, "app.secret_key_hint")}</p>
            <p><code class="secret" id="secret-key">{move || shown().unwrap_or_else(|| masked.clone())}</code></p>
            <Show when=move || can_reveal && shown().is_none()>
                <ActionForm action=reveal>
                    <input type="hidden" name="sdkappid" value=app.sdkappid.to_string()/>
                    <button type="submit" id="reveal-secret">{tr(l, "app.reveal")}</button>
                </ActionForm>
            </Show>
            <FormMessage error=error/>
        </section>
    }
}
