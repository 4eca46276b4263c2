; Recupero's Windows setup, built on Linux with Debian's makensis by scripts/package-windows.sh
; (the Tauri bundler's NSIS path downloads its plugins from GitHub at build time; this script
; uses only the plugins Debian's nsis package ships: System, nsExec, nsDialogs).
;
;   makensis -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DSRCDIR=<folder with recupero.exe and
;            WebView2Loader.dll> -DOUTFILE=<setup.exe> packaging/windows/recupero.nsi
;
; Per user, no administrator rights: %LOCALAPPDATA%\Programs\Recupero, Start-menu entries, an
; optional desktop shortcut, the uninstaller under HKCU\...\Uninstall\Recupero. A 64-bit setup
; (amd64 stub) for the 64-bit app.
;
; Setup command line, besides NSIS's own /S (silent) and /D=<folder> (last):
;   /P                passive: no questions, only the progress window
;   /UPDATE           an update (tauri-plugin-updater passes it; also /P or /S, /R, /ARGS)
;   /R                open Recupero again when done, with the arguments after /ARGS
;   /DESKTOPSHORTCUT  with /S or /P: also create the desktop shortcut (the finish page asks
;                     otherwise)
; Uninstaller: /S silent; /DELETEDATA also deletes the owner's data (kept by default).

Unicode true
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef SRCDIR
  !error "pass -DSRCDIR=<folder with recupero.exe and WebView2Loader.dll>"
!endif
!ifndef OUTFILE
  !error "pass -DOUTFILE=<setup.exe>"
!endif
; The numeric x.y.z.0 of the file's version resource (VERSION may carry a -suffix).
!ifndef VERSION_QUAD
  !define VERSION_QUAD "${VERSION}.0"
!endif
; makensis runs in this folder (unless -NOCD).
!define /ifndef ICONDIR "..\..\icons"

!define PRODUCT "Recupero"
!define PUBLISHER "Recupero"
!define IDENTIFIER "app.recupero.desktop"
!define EXE "recupero.exe"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
; tauri-plugin-autostart (auto-launch) writes a value named after the product here.
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define STARTUP_APPROVED_KEY "Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
; The notification plugin shows toasts under the app identifier; registering it gives them the
; app's name and icon without a packaged app.
!define AUMID_KEY "Software\Classes\AppUserModelId\${IDENTIFIER}"
; Microsoft's documented keys of the Evergreen WebView2 runtime (value "pv": its version).
!define WEBVIEW2_CLIENT "Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_BOOTSTRAPPER_URL "https://go.microsoft.com/fwlink/p/?LinkId=2124703"

Name "${PRODUCT}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${PRODUCT} ${VERSION}"
ShowInstDetails show
ShowUninstDetails show

!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include WinVer.nsh
!include nsDialogs.nsh

Var Passive
Var IsUpdate
Var Relaunch
Var RelaunchArgs
Var DesktopShortcutWanted
Var DeleteData
Var DeleteDataCheckbox

!define MUI_ICON "${ICONDIR}\icon.ico"
!define MUI_UNICON "${ICONDIR}\icon.ico"
!define MUI_ABORTWARNING

!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipWhenPassive
!insertmacro MUI_PAGE_WELCOME
!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipWhenPassive
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_PAGE_CUSTOMFUNCTION_PRE SkipWhenPassive
!define MUI_FINISHPAGE_RUN
!define MUI_FINISHPAGE_RUN_FUNCTION LaunchApp
!define MUI_FINISHPAGE_SHOWREADME
!define MUI_FINISHPAGE_SHOWREADME_TEXT "$(DesktopShortcut)"
!define MUI_FINISHPAGE_SHOWREADME_FUNCTION CreateDesktopShortcut
!insertmacro MUI_PAGE_FINISH

UninstPage custom un.DataPageShow un.DataPageLeave
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The first is the fallback when the system's language is none of these.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Spanish"
!insertmacro MUI_LANGUAGE "SpanishInternational"
!insertmacro MUI_LANGUAGE "PortugueseBR"
!insertmacro MUI_LANGUAGE "Portuguese"
!include "texts.nsh"

VIProductVersion "${VERSION_QUAD}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileDescription" "${PRODUCT} Setup"
VIAddVersionKey /LANG=${LANG_ENGLISH} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_ENGLISH} "LegalCopyright" "${PUBLISHER}"

; Counts the running recupero.exe processes into $R0; with $R1 = 1 it also ends them. A process
; list through the System plugin (Toolhelp32), not tasklist, so it needs no console tool.
!macro RECUPERO_PROCESSES UN
Function ${UN}RecuperoProcesses
  Push $0
  Push $1
  Push $2
  Push $3
  Push $4
  StrCpy $R0 0
  System::Call 'kernel32::CreateToolhelp32Snapshot(i 2, i 0) p .r0'
  ${If} $0 P<> -1
  ${AndIf} $0 P<> 0
    ; PROCESSENTRY32W on x64: 568 bytes, th32ProcessID at 8, szExeFile at 44.
    System::Alloc 568
    Pop $1
    System::Call '*$1(i 568)'
    System::Call 'kernel32::Process32FirstW(p r0, p r1) i .r2'
    ${DoWhile} $2 <> 0
      System::Call '*$1(i, i, i .r3, i, l, i, i, i, i, i, &w260 .r4)'
      ${If} $4 == "${EXE}"
        IntOp $R0 $R0 + 1
        ${If} $R1 = 1
          ; PROCESS_TERMINATE | SYNCHRONIZE
          System::Call 'kernel32::OpenProcess(i 0x100001, i 0, i r3) p .r2'
          ${If} $2 P<> 0
            System::Call 'kernel32::TerminateProcess(p r2, i 1)'
            System::Call 'kernel32::WaitForSingleObject(p r2, i 5000)'
            System::Call 'kernel32::CloseHandle(p r2)'
          ${EndIf}
        ${EndIf}
      ${EndIf}
      System::Call 'kernel32::Process32NextW(p r0, p r1) i .r2'
    ${Loop}
    System::Free $1
    System::Call 'kernel32::CloseHandle(p r0)'
  ${EndIf}
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Pop $0
FunctionEnd

; A running Recupero holds recupero.exe open: it is closed first (asked when someone is at the
; screen). The updater's app ends by itself right after starting the setup: it gets 5 seconds.
Function ${UN}CloseRunning
  StrCpy $R1 0
  Call ${UN}RecuperoProcesses
  ${If} $R0 > 0
  ${AndIf} $IsUpdate = 1
    StrCpy $0 0
    ${DoWhile} $0 < 10
      ${IfThen} $R0 = 0 ${|} ${ExitDo} ${|}
      Sleep 500
      Call ${UN}RecuperoProcesses
      IntOp $0 $0 + 1
    ${Loop}
  ${EndIf}
  ${If} $R0 > 0
    ${IfNot} ${Silent}
    ${AndIf} $Passive = 0
    ${AndIf} $IsUpdate = 0
      MessageBox MB_OKCANCEL|MB_ICONINFORMATION "$(AppRunning)" /SD IDOK IDOK +2
      Abort
    ${EndIf}
    DetailPrint "$(ClosingApp)"
    StrCpy $R1 1
    Call ${UN}RecuperoProcesses
    Sleep 500
    StrCpy $R1 0
    Call ${UN}RecuperoProcesses
    ${If} $R0 > 0
      MessageBox MB_OK|MB_ICONSTOP "$(AppStillRunning)" /SD IDOK
      SetErrorLevel 3
      Abort "$(AppStillRunning)"
    ${EndIf}
  ${EndIf}
FunctionEnd
!macroend
!insertmacro RECUPERO_PROCESSES ""
!insertmacro RECUPERO_PROCESSES "un."

Function .onInit
  ${IfNot} ${AtLeastBuild} 10240
    MessageBox MB_OK|MB_ICONSTOP "$(NeedsWindows10)" /SD IDOK
    SetErrorLevel 2
    Abort
  ${EndIf}
  SetShellVarContext current
  StrCpy $Passive 0
  StrCpy $IsUpdate 0
  StrCpy $Relaunch 0
  StrCpy $RelaunchArgs ""
  StrCpy $DesktopShortcutWanted 0
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/P" $1
  ${IfNot} ${Errors}
    StrCpy $Passive 1
  ${EndIf}
  ClearErrors
  ${GetOptions} $0 "/UPDATE" $1
  ${IfNot} ${Errors}
    StrCpy $IsUpdate 1
  ${EndIf}
  ClearErrors
  ${GetOptions} $0 "/R" $1
  ${IfNot} ${Errors}
    StrCpy $Relaunch 1
  ${EndIf}
  ClearErrors
  ${GetOptions} $0 "/ARGS" $1
  ${IfNot} ${Errors}
    StrCpy $RelaunchArgs $1
  ${EndIf}
  ClearErrors
  ${GetOptions} $0 "/DESKTOPSHORTCUT" $1
  ${IfNot} ${Errors}
    StrCpy $DesktopShortcutWanted 1
  ${EndIf}
FunctionEnd

Function SkipWhenPassive
  ${If} $Passive = 1
    Abort
  ${EndIf}
FunctionEnd

Section "-Recupero"
  ${If} $Passive = 1
    SetAutoClose true
  ${EndIf}
  Call CloseRunning

  SetOutPath "$INSTDIR"
  File "${SRCDIR}\${EXE}"
  File "${SRCDIR}\WebView2Loader.dll"
  File "/oname=recupero.png" "${ICONDIR}\128x128.png"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Start menu: the app and its uninstaller (old shortcuts go first: the uninstaller's name is
  ; in the language of the setup that made it).
  Delete "$SMPROGRAMS\${PRODUCT}\*.lnk"
  CreateDirectory "$SMPROGRAMS\${PRODUCT}"
  CreateShortcut "$SMPROGRAMS\${PRODUCT}\${PRODUCT}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
  CreateShortcut "$SMPROGRAMS\${PRODUCT}\$(UninstallShortcut).lnk" "$INSTDIR\uninstall.exe" "" "$INSTDIR\uninstall.exe" 0
  ${If} $DesktopShortcutWanted = 1
    Call CreateDesktopShortcut
  ${EndIf}

  ; Apps & features (per user).
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"

  WriteRegStr HKCU "${AUMID_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${AUMID_KEY}" "IconUri" "$INSTDIR\recupero.png"
SectionEnd

; $R0 = 1 when the Evergreen WebView2 runtime is installed, per machine or per user.
Function WebView2Installed
  StrCpy $R0 0
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\${WEBVIEW2_CLIENT}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKLM "SOFTWARE\${WEBVIEW2_CLIENT}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\${WEBVIEW2_CLIENT}" "pv"
  ${EndIf}
  ${If} $0 != ""
  ${AndIf} $0 != "0.0.0.0"
    StrCpy $R0 1
  ${EndIf}
FunctionEnd

; Windows 10 (updated) and 11 ship the runtime; otherwise Microsoft's Evergreen bootstrapper is
; downloaded (PowerShell, else Windows' own curl.exe: NSIS's NSISdl has no HTTPS) and run.
Section "-WebView2"
  Call WebView2Installed
  ${If} $R0 = 1
    DetailPrint "$(WebView2Present)"
    Return
  ${EndIf}
  InitPluginsDir
  StrCpy $1 "$PLUGINSDIR\MicrosoftEdgeWebview2Setup.exe"
  DetailPrint "$(WebView2Downloading)"
  nsExec::ExecToLog `"$SYSDIR\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "$$ProgressPreference = 'SilentlyContinue'; [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12; Invoke-WebRequest -UseBasicParsing -Uri '${WEBVIEW2_BOOTSTRAPPER_URL}' -OutFile '$1'"`
  Pop $0
  ${IfNot} ${FileExists} "$1"
    nsExec::ExecToLog `"$SYSDIR\curl.exe" -fsSL --retry 2 -o "$1" "${WEBVIEW2_BOOTSTRAPPER_URL}"`
    Pop $0
  ${EndIf}
  ${If} ${FileExists} "$1"
    DetailPrint "$(WebView2Installing)"
    ExecWait '"$1" /silent /install' $0
    DetailPrint "MicrosoftEdgeWebview2Setup.exe: $0"
  ${EndIf}
  Call WebView2Installed
  ${If} $R0 = 0
    DetailPrint "$(WebView2Failed)"
    MessageBox MB_OK|MB_ICONEXCLAMATION "$(WebView2Failed)" /SD IDOK
  ${EndIf}
SectionEnd

Function LaunchApp
  Exec '"$INSTDIR\${EXE}"'
FunctionEnd

Function CreateDesktopShortcut
  CreateShortcut "$DESKTOP\${PRODUCT}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0
FunctionEnd

; The updater asks for the app back (/R), with the arguments it ran with (/ARGS).
Function .onInstSuccess
  ${If} $Relaunch = 1
    Exec '"$INSTDIR\${EXE}" $RelaunchArgs'
  ${EndIf}
FunctionEnd

; --- Uninstaller ---

Function un.onInit
  SetShellVarContext current
  StrCpy $Passive 0
  StrCpy $IsUpdate 0
  StrCpy $DeleteData 0
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/DELETEDATA" $1
  ${IfNot} ${Errors}
    StrCpy $DeleteData 1
  ${EndIf}
FunctionEnd

Function un.DataPageShow
  !insertmacro MUI_HEADER_TEXT "$(DataPageTitle)" "$(DataPageSubtitle)"
  nsDialogs::Create 1018
  Pop $0
  ${NSD_CreateLabel} 0 0 100% 64u "$(DataPageText)"
  Pop $0
  ${NSD_CreateCheckbox} 0 72u 100% 24u "$(DeleteData)"
  Pop $DeleteDataCheckbox
  ${If} $DeleteData = 1
    ${NSD_Check} $DeleteDataCheckbox
  ${EndIf}
  nsDialogs::Show
FunctionEnd

Function un.DataPageLeave
  ${NSD_GetState} $DeleteDataCheckbox $0
  ${If} $0 = ${BST_CHECKED}
    StrCpy $DeleteData 1
  ${Else}
    StrCpy $DeleteData 0
  ${EndIf}
FunctionEnd

; The passwords keyring saved in the Credential Manager: generic credentials whose target name
; is "<name>.recupero".
Function un.DeleteCredentials
  System::Call 'advapi32::CredEnumerateW(p 0, i 0, *i .r1, *p .r2) i .r0'
  ${If} $0 <> 0
    StrCpy $3 0
    ${DoWhile} $3 < $1
      IntOp $4 $3 * 8
      IntPtrOp $5 $2 + $4
      System::Call '*$5(p .r6)'
      System::Call '*$6(i, i .r8, w .r7)'
      StrCpy $9 $7 "" -9
      ${If} $9 == ".recupero"
      ${AndIf} $8 = 1
        System::Call 'advapi32::CredDeleteW(w r7, i 1, i 0) i .r9'
        DetailPrint "CredDeleteW $7: $9"
      ${EndIf}
      IntOp $3 $3 + 1
    ${Loop}
    System::Call 'advapi32::CredFree(p r2)'
  ${EndIf}
FunctionEnd

Section "Uninstall"
  Call un.CloseRunning

  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\recupero.png"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  Delete "$SMPROGRAMS\${PRODUCT}\*.lnk"
  RMDir "$SMPROGRAMS\${PRODUCT}"
  Delete "$DESKTOP\${PRODUCT}.lnk"

  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "${AUMID_KEY}"
  DeleteRegValue HKCU "${RUN_KEY}" "${PRODUCT}"
  DeleteRegValue HKCU "${STARTUP_APPROVED_KEY}" "${PRODUCT}"

  ; The owner's data (directories' ProjectDirs "recupero/recupero": the database in the roaming
  ; profile, the logs in the local one) and the window's WebView2 profile stay unless asked.
  ${If} $DeleteData = 1
    DetailPrint "$(DeletingData)"
    RMDir /r "$APPDATA\recupero\recupero"
    RMDir "$APPDATA\recupero"
    RMDir /r "$LOCALAPPDATA\recupero\recupero"
    RMDir "$LOCALAPPDATA\recupero"
    RMDir /r "$LOCALAPPDATA\${IDENTIFIER}"
    Call un.DeleteCredentials
  ${EndIf}
SectionEnd
