//! Interview files: uploads in chunks, hashes, downloads and the chain of custody.

use super::*;

// ------------------------------------------------------------------ files

/// Who may store and read an interview's files: its interviewing team, and
/// the case team members who may change the case.
async fn file_access(
    state: &AppState,
    actor: &Actor,
    id: InterviewId,
    rid: Option<String>,
) -> Result<InterviewRow, AppError> {
    let a = access(state, actor, id, rid).await?;
    if a.handle || a.edit_case {
        Ok(a.row)
    } else {
        Err(AppError::NotFound)
    }
}

/// Stores a recording or document as it streams in: encrypted in chunks,
/// hashed on the way, visible only once complete.
///
/// # Errors
/// Not allowed; an unknown kind; an empty or too-large file; a stream error
/// (nothing is kept).
#[allow(clippy::too_many_arguments)]
pub async fn store_file<S, E>(
    state: &AppState,
    actor: &Actor,
    id: InterviewId,
    kind: &str,
    name: &str,
    content_type: &str,
    mut body: S,
    rid: Option<String>,
) -> Result<InterviewFileId, AppError>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
{
    use futures_util::StreamExt;
    let row = file_access(state, actor, id, rid.clone()).await?;
    if row.status == InterviewStatus::Cancelled || row.status == InterviewStatus::Requested {
        return Err(invalid(
            "not_scheduled",
            "status",
            "Files belong to a scheduled or held interview.",
        ));
    }
    let kind = FileKind::parse(kind)
        .ok_or_else(|| invalid("bad_code", "kind", "kind must be recording or document."))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\', '\0']) {
        return Err(invalid(
            "bad_name",
            "name",
            "Give the file a name (at most 200 characters, no slashes).",
        ));
    }
    let content_type = content_type.trim();
    if content_type.is_empty()
        || content_type.len() > 100
        || !content_type.contains('/')
        || content_type.chars().any(|c| c.is_control())
    {
        return Err(invalid(
            "bad_type",
            "content_type",
            "Give the file's content type (e.g. video/mp4).",
        ));
    }
    let file = InterviewFileId::new();
    let fs = file.to_string();
    let now = haven_domain::now();
    state
        .store
        .begin_file(&InterviewFileRow {
            id: file,
            interview: id,
            kind: kind.as_str().into(),
            name: seal(state, "interview_files", "name", &fs, name.as_bytes())?,
            content_type: content_type.into(),
            size: 0,
            sha256: None,
            status: "uploading".into(),
            by: actor.user,
            at: now,
        })
        .await?;
    let limit = state.settings.recording_limit_bytes;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut seq: i64 = 0;
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    let result: Result<(), AppError> = async {
        // No total time limit (see `time_limit`), but a stalled sender is
        // let go after the request timeout without a byte.
        let stalled = || {
            invalid(
                "upload_stalled",
                "file",
                "The upload stopped arriving; nothing was kept. Try again.",
            )
        };
        while let Some(part) = tokio::time::timeout(state.settings.request_timeout, body.next())
            .await
            .map_err(|_| stalled())?
        {
            let part = part.map_err(|_| {
                invalid(
                    "upload_failed",
                    "file",
                    "The upload was interrupted; nothing was kept.",
                )
            })?;
            size += part.len() as u64;
            if size > limit {
                return Err(invalid(
                    "too_large",
                    "file",
                    format!("Files may be at most {} MB.", limit / (1024 * 1024)),
                ));
            }
            hasher.update(&part);
            buf.extend_from_slice(&part);
            while buf.len() >= CHUNK {
                let rest = buf.split_off(CHUNK);
                put(state, file, seq, &buf).await?;
                seq += 1;
                buf = rest;
            }
        }
        if size == 0 {
            return Err(invalid("empty", "file", "The file is empty."));
        }
        if !buf.is_empty() {
            put(state, file, seq, &buf).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        state.store.discard_file(file).await?;
        return Err(e);
    }
    let sha = hasher.finalize().to_vec();
    state
        .store
        .finish_file(
            i64::try_from(size).unwrap_or(i64::MAX),
            &CustodyRow {
                id: Uuid::now_v7(),
                file,
                at: haven_domain::now(),
                by: actor.user,
                action: CustodyAction::Stored.as_str().into(),
                sha256: sha,
                detail: None,
            },
            &audit(
                actor,
                AuditAction::InterviewFileStored,
                "interview_file",
                file,
                rid,
            ),
        )
        .await?;
    Ok(file)
}

async fn put(
    state: &AppState,
    file: InterviewFileId,
    seq: i64,
    plain: &[u8],
) -> Result<(), AppError> {
    let chunk = Uuid::now_v7();
    let sealed = seal(
        state,
        "interview_file_chunks",
        "data",
        &chunk.to_string(),
        plain,
    )?;
    state.store.put_chunk(file, chunk, seq, &sealed).await?;
    Ok(())
}

/// A file being read: its description and its chunks, decrypted one by one.
pub struct FileDownload {
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub chunks: futures_util::stream::BoxStream<'static, Result<Bytes, std::io::Error>>,
}

/// Opens a file for download: the custody log and the audit entry are
/// written before any byte leaves.
///
/// # Errors
/// Not allowed; no such file.
pub async fn download(
    state: &AppState,
    actor: &Actor,
    file: InterviewFileId,
    rid: Option<String>,
) -> Result<FileDownload, AppError> {
    let f = state
        .store
        .interview_file(file)
        .await?
        .filter(|f| f.status == "stored")
        .ok_or(AppError::NotFound)?;
    file_access(state, actor, f.interview, rid.clone()).await?;
    let sha = f.sha256.clone().unwrap_or_default();
    state
        .store
        .record_custody(
            &CustodyRow {
                id: Uuid::now_v7(),
                file,
                at: haven_domain::now(),
                by: actor.user,
                action: CustodyAction::Downloaded.as_str().into(),
                sha256: sha.clone(),
                detail: None,
            },
            &audit(
                actor,
                AuditAction::InterviewFileRead,
                "interview_file",
                file,
                rid,
            ),
        )
        .await?;
    let name = unseal_text(state, "interview_files", "name", &file.to_string(), &f.name).await?;
    let st = state.clone();
    let chunks = futures_util::stream::unfold(0_i64, move |seq| {
        let st = st.clone();
        async move {
            match st.store.file_chunk(file, seq).await {
                Ok(Some((id, data))) => {
                    match unseal(&st, "interview_file_chunks", "data", &id.to_string(), &data).await
                    {
                        Ok(plain) => Some((Ok(Bytes::from(plain)), seq + 1)),
                        Err(_) => Some((
                            Err(std::io::Error::other("chunk does not decrypt")),
                            i64::MAX,
                        )),
                    }
                }
                Ok(None) => None,
                Err(_) => Some((Err(std::io::Error::other("chunk read failed")), i64::MAX)),
            }
        }
    });
    use futures_util::StreamExt;
    Ok(FileDownload {
        name,
        content_type: f.content_type,
        size: f.size,
        sha256: hex(&sha),
        chunks: chunks.boxed(),
    })
}

/// Records a transfer of a file (to a prosecutor, a court...).
///
/// # Errors
/// Not allowed; no recipient.
pub async fn transfer(
    state: &AppState,
    actor: &Actor,
    file: InterviewFileId,
    recipient: &str,
    purpose: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    let f = state
        .store
        .interview_file(file)
        .await?
        .filter(|f| f.status == "stored")
        .ok_or(AppError::NotFound)?;
    file_access(state, actor, f.interview, rid.clone()).await?;
    let recipient = text("recipient", recipient)?;
    if recipient.is_empty() {
        return Err(invalid("required", "recipient", "Name who received it."));
    }
    let purpose = text("purpose", purpose)?;
    let id = Uuid::now_v7();
    let detail = if purpose.is_empty() {
        recipient
    } else {
        format!("{recipient} — {purpose}")
    };
    state
        .store
        .record_custody(
            &CustodyRow {
                id,
                file,
                at: haven_domain::now(),
                by: actor.user,
                action: CustodyAction::Transferred.as_str().into(),
                sha256: f.sha256.unwrap_or_default(),
                detail: Some(seal(
                    state,
                    "custody_events",
                    "detail",
                    &id.to_string(),
                    detail.as_bytes(),
                )?),
            },
            &audit(
                actor,
                AuditAction::InterviewFileTransferred,
                "interview_file",
                file,
                rid,
            ),
        )
        .await?;
    Ok(())
}

/// Re-reads a file and compares its SHA-256 with the stored one; records
/// the check in the custody log. Returns whether it matched.
///
/// # Errors
/// Not allowed; no such file.
pub async fn verify(
    state: &AppState,
    actor: &Actor,
    file: InterviewFileId,
    rid: Option<String>,
) -> Result<bool, AppError> {
    let f = state
        .store
        .interview_file(file)
        .await?
        .filter(|f| f.status == "stored")
        .ok_or(AppError::NotFound)?;
    file_access(state, actor, f.interview, rid.clone()).await?;
    let mut hasher = Sha256::new();
    let mut seq = 0;
    while let Some((id, data)) = state.store.file_chunk(file, seq).await? {
        hasher.update(
            unseal(
                state,
                "interview_file_chunks",
                "data",
                &id.to_string(),
                &data,
            )
            .await?,
        );
        seq += 1;
    }
    let sha = hasher.finalize().to_vec();
    let ok = f.sha256.as_deref() == Some(sha.as_slice());
    state
        .store
        .record_custody(
            &CustodyRow {
                id: Uuid::now_v7(),
                file,
                at: haven_domain::now(),
                by: actor.user,
                action: CustodyAction::Verified.as_str().into(),
                sha256: sha,
                detail: None,
            },
            &audit(
                actor,
                AuditAction::InterviewFileRead,
                "interview_file",
                file,
                rid,
            ),
        )
        .await?;
    Ok(ok)
}
