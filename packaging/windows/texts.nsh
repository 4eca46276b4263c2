; The setup's own texts in English, Spanish and Portuguese (MUI2 translates its standard pages).
; Spanish serves both NSIS Spanish tables (traditional and international sort), Portuguese both
; Brazil's and Portugal's; English is the fallback for every other system language.
; Read as UTF-8 (makensis -INPUTCHARSET UTF8, as the package scripts call it).

!macro TEXT NAME EN ES PT
  LangString ${NAME} ${LANG_ENGLISH} "${EN}"
  LangString ${NAME} ${LANG_SPANISH} "${ES}"
  LangString ${NAME} ${LANG_SPANISHINTERNATIONAL} "${ES}"
  LangString ${NAME} ${LANG_PORTUGUESEBR} "${PT}"
  LangString ${NAME} ${LANG_PORTUGUESE} "${PT}"
!macroend

!insertmacro TEXT NeedsWindows10 \
  "Recupero needs 64-bit Windows 10 or newer." \
  "Recupero necesita Windows 10 de 64 bits o más reciente." \
  "O Recupero precisa do Windows 10 de 64 bits ou mais recente."

!insertmacro TEXT DesktopShortcut \
  "Create a shortcut on the desktop" \
  "Crear un acceso directo en el escritorio" \
  "Criar um atalho na área de trabalho"

!insertmacro TEXT UninstallShortcut \
  "Uninstall Recupero" \
  "Desinstalar Recupero" \
  "Desinstalar o Recupero"

!insertmacro TEXT AppRunning \
  "Recupero is open. It will be closed to continue (your data is safe).$\r$\n$\r$\nClose it now?" \
  "Recupero está abierto. Se cerrará para continuar (tus datos no se pierden).$\r$\n$\r$\n¿Cerrarlo ahora?" \
  "O Recupero está aberto. Ele será fechado para continuar (seus dados não se perdem).$\r$\n$\r$\nFechar agora?"

!insertmacro TEXT AppStillRunning \
  "Recupero could not be closed. Close it (also its icon next to the clock) and try again." \
  "No se pudo cerrar Recupero. Ciérralo (también su icono junto al reloj) y vuelve a intentarlo." \
  "Não foi possível fechar o Recupero. Feche-o (também o ícone ao lado do relógio) e tente de novo."

!insertmacro TEXT ClosingApp \
  "Closing Recupero..." \
  "Cerrando Recupero..." \
  "Fechando o Recupero..."

!insertmacro TEXT WebView2Present \
  "Microsoft Edge WebView2 is installed." \
  "Microsoft Edge WebView2 ya está instalado." \
  "O Microsoft Edge WebView2 já está instalado."

!insertmacro TEXT WebView2Downloading \
  "Downloading Microsoft Edge WebView2, which Recupero's window needs..." \
  "Descargando Microsoft Edge WebView2, que necesita la ventana de Recupero..." \
  "Baixando o Microsoft Edge WebView2, necessário para a janela do Recupero..."

!insertmacro TEXT WebView2Installing \
  "Installing Microsoft Edge WebView2..." \
  "Instalando Microsoft Edge WebView2..." \
  "Instalando o Microsoft Edge WebView2..."

!insertmacro TEXT WebView2Failed \
  "Microsoft Edge WebView2 could not be installed (is this computer connected to the internet?). Recupero is installed, but its window needs WebView2: install it from https://go.microsoft.com/fwlink/p/?LinkId=2124703 and then open Recupero." \
  "No se pudo instalar Microsoft Edge WebView2 (¿está conectado a internet este equipo?). Recupero está instalado, pero su ventana necesita WebView2: instálalo desde https://go.microsoft.com/fwlink/p/?LinkId=2124703 y luego abre Recupero." \
  "Não foi possível instalar o Microsoft Edge WebView2 (este computador está conectado à internet?). O Recupero está instalado, mas a janela dele precisa do WebView2: instale-o em https://go.microsoft.com/fwlink/p/?LinkId=2124703 e depois abra o Recupero."

!insertmacro TEXT DataPageTitle \
  "Your data" \
  "Tus datos" \
  "Seus dados"

!insertmacro TEXT DataPageSubtitle \
  "Recupero's data stays on this computer unless you choose otherwise." \
  "Los datos de Recupero se quedan en este equipo, salvo que elijas lo contrario." \
  "Os dados do Recupero ficam neste computador, a menos que você escolha o contrário."

!insertmacro TEXT DataPageText \
  "Your database (carts, messages, results, settings) and the logs are kept, so installing Recupero again picks up where you left off. They are in:$\r$\n$APPDATA\recupero$\r$\n$LOCALAPPDATA\recupero" \
  "Tu base de datos (carritos, mensajes, resultados, ajustes) y los registros se conservan, así que si vuelves a instalar Recupero sigues donde lo dejaste. Están en:$\r$\n$APPDATA\recupero$\r$\n$LOCALAPPDATA\recupero" \
  "Seu banco de dados (carrinhos, mensagens, resultados, configurações) e os registros são mantidos, então ao instalar o Recupero de novo você continua de onde parou. Eles estão em:$\r$\n$APPDATA\recupero$\r$\n$LOCALAPPDATA\recupero"

!insertmacro TEXT DeleteData \
  "Also delete my data: the database, the logs and the passwords Recupero saved in Windows. This cannot be undone." \
  "Borrar también mis datos: la base de datos, los registros y las contraseñas que Recupero guardó en Windows. No se puede deshacer." \
  "Apagar também meus dados: o banco de dados, os registros e as senhas que o Recupero salvou no Windows. Não pode ser desfeito."

!insertmacro TEXT DeletingData \
  "Deleting Recupero's data..." \
  "Borrando los datos de Recupero..." \
  "Apagando os dados do Recupero..."
