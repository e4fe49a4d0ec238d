#!/usr/bin/env bash
# Regenerates the default Mandarin prompts (offline, with Debian's espeak-ng and sox):
#   8 kHz mono 16-bit WAV in this folder, 16 kHz in 16000/. Run from anywhere: bash make_prompts.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p 16000
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
say() {  # name text
  espeak-ng -v cmn -s 165 -w "$tmp/p.wav" "$2"
  sox -V1 "$tmp/p.wav" -r 8000 -c 1 -b 16 "$1.wav"
  sox -V1 "$tmp/p.wav" -r 16000 -c 1 -b 16 "16000/$1.wav"
}
say welcome "您好，欢迎致电纳税缴费服务热线。"
say tax_menu "税收政策咨询请按1，电子税务局和发票业务请按2，社保费缴纳请按3。"
say invalid "您的输入有误，请重新输入。"
say no_input "抱歉，没有听到您的按键。"
say transfer "正在为您转接人工服务，请稍候。"
say unknown_number "您拨打的号码未开通服务，请核对后再拨。再见。"
say goodbye "感谢您的来电，再见。"
say citizen_welcome "您好，这里是政务服务便民热线。"
say citizen_menu "咨询请按1，投诉建议请按2。"
say all_busy "现在坐席全忙，请您稍后再拨。感谢您的耐心等待。"
say queue_position_before "您前面还有"
say queue_position_after "位来电在等待。"
say queue_ewt_before "预计等待"
say queue_ewt_minutes "分钟。"
say queue_ewt_short "预计等待不到一分钟。"
say queue_options "如需预约回拨请按1，如需留言请按2，继续等待请不要挂机。"
say callback_confirmed "已为您预约回拨，坐席空闲后将立即回电，请保持电话畅通。再见。"
say voicemail_intro "请在提示音后留言，按井号键结束。"
say voicemail_saved "您的留言已保存，我们会尽快处理。再见。"
say survey "请您对本次服务进行评价：非常满意请按5，满意请按4，基本满意请按3，不满意请按2，非常不满意请按1。"
say survey_thanks "感谢您的评价，再见。"
say closed "现在是非工作时间，我们的服务时间是工作日上午八点至下午六点。留言请按1，紧急事项转值班电话请按2。"
say enter_id "请输入您的纳税人识别号，以井号键结束。"
say you_entered "您输入的号码是"
say followup_intro "您好，这里是政务服务便民热线，现在对您反映的问题进行回访。您于"
say followup_month "月"
say followup_day "日反映的问题，工单号尾号为"
say followup_done "，承办单位已经办理完毕。"
say followup_department "请您对承办单位的工作态度进行评价：满意请按1，基本满意请按2，不满意请按3。"
say followup_rate "请您对问题的办理结果进行评价：满意请按1，基本满意请按2，不满意请按3。"
say followup_thanks "感谢您的评价，您的意见我们会认真对待。再见。"
i=0; for w in 零 一 二 三 四 五 六 七 八 九 十; do say "num_$i" "$w"; i=$((i+1)); done
say num_many "很多"
for rate in 8000 16000; do
  out=$([ "$rate" = 8000 ] && echo beep.wav || echo 16000/beep.wav)
  sox -V1 -n -r "$rate" -c 1 -b 16 "$out" synth 0.4 sine 1000 vol 0.5
  out=$([ "$rate" = 8000 ] && echo moh.wav || echo 16000/moh.wav)
  sox -V1 -n -r "$rate" -c 1 -b 16 "$out" synth 8 sine 392 sine 523 remix - fade 0.5 8 0.5 vol 0.3
done
