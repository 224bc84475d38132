// can_id flags and masks of struct can_frame (linux/can.h), shared by the intake, the candump
// reader/writer, error-frame decoding and the socket-drop accounting.
export const CAN_EFF_FLAG = 0x80000000; // extended frame format (29-bit id)
export const CAN_RTR_FLAG = 0x40000000; // remote transmission request
export const CAN_ERR_FLAG = 0x20000000; // error frame
export const CAN_SFF_MASK = 0x7ff;
export const CAN_EFF_MASK = 0x1fffffff;
export const CAN_ERR_MASK = 0x1fffffff;
